"""curate push — upload a build folder (all configs + card) to the Hugging Face Hub, resumably."""

from __future__ import annotations

import argparse
import re

from curate.errors import CurateError

_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "KIB": 2**10, "MIB": 2**20, "GIB": 2**30}


def parse_size(text: str) -> int:
    """`500MB`, `2GiB`, `1000000` → bytes."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*", text)
    if not m or m.group(2).upper() not in _UNITS or float(m.group(1)) <= 0:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 500MB, 2GB, 1GiB)")
    return int(float(m.group(1)) * _UNITS[m.group(2).upper()])


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 1, got {text!r}")
    return int(text)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("push", help="upload a build folder to the Hugging Face Hub (resumable)",
                       description="Upload every config of DIR (as Parquet) and its card to the dataset repo "
                                   "REPO_ID, in commits of bounded size, the card last. Rerun the same command "
                                   "to resume an interrupted push. Token: HF_TOKEN or your saved login; "
                                   "endpoint: HF_ENDPOINT.")
    p.add_argument("dir", metavar="DIR", help="output folder of `curate build`")
    p.add_argument("repo_id", metavar="REPO_ID", help="dataset repo on the Hub, e.g. my-org/maltese-etymology")
    p.add_argument("--private", action="store_true", help="create the repo as private (if it does not exist)")
    p.add_argument("--revision", metavar="R", help="branch to commit to (must exist; default main)")
    p.add_argument("--create-branch", action="store_true", help="create --revision if it does not exist")
    p.add_argument("--i-have-the-rights", action="store_true",
                   help="push to a public repo although the card says the data must not be shared publicly "
                        "(you hold the redistribution rights)")
    p.add_argument("--commit-files", type=_positive, default=50, metavar="N",
                   help="at most N files per commit (default 50; the Hub asks for fewer than 100)")
    p.add_argument("--commit-bytes", type=parse_size, default=2 * 1024**3, metavar="SIZE",
                   help="at most SIZE of Parquet per commit, staged on local disk (default 2GiB)")
    p.add_argument("--dry-run", action="store_true", help="list the files and sizes; upload nothing, no token needed")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from curate.hub import push
    from curate.hub_commit import CommitLimits

    if args.create_branch and not args.revision:
        raise CurateError("--create-branch needs --revision")
    push(args.dir, args.repo_id, private=args.private, revision=args.revision, dry_run=args.dry_run,
         create_branch=args.create_branch, i_have_the_rights=args.i_have_the_rights,
         limits=CommitLimits(max_files=args.commit_files, max_bytes=args.commit_bytes))
    return 0
