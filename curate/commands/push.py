"""curate push — upload a build folder (all configs + card) to the Hugging Face Hub in one commit."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("push", help="upload a build folder to the Hugging Face Hub in one commit",
                       description="Upload every config of DIR (as Parquet) and its card to the dataset repo "
                                   "REPO_ID. Token: HF_TOKEN or your saved login; endpoint: HF_ENDPOINT.")
    p.add_argument("dir", metavar="DIR", help="output folder of `curate build`")
    p.add_argument("repo_id", metavar="REPO_ID", help="dataset repo on the Hub, e.g. my-org/maltese-etymology")
    p.add_argument("--private", action="store_true", help="create the repo as private (if it does not exist)")
    p.add_argument("--revision", metavar="R", help="branch to commit to (created if missing; default main)")
    p.add_argument("--dry-run", action="store_true", help="list the files and sizes; upload nothing, no token needed")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from curate.hub import push

    push(args.dir, args.repo_id, private=args.private, revision=args.revision, dry_run=args.dry_run)
    return 0
