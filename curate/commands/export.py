"""curate export clef-queries DIR --format trec|jsonl|qrels --language xx — hand a built dataset to retrieval code.

`trec` writes TREC topic files (`<top> <num> Number: 141 <title> ... </top>`, as Anserini/trec_eval tooling
reads them); `jsonl` writes ir_datasets-style query records (`query_id`, `title`, `description`,
`narrative`); `qrels` writes TREC qrels. CLEF topic ids are written as the qrels use them (`C141` -> `141`)
so runs score directly with trec_eval. DIR is a `curate build` output: DIR/<config>/ is a DatasetDict.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

ORIGIN_RANK = {"original": 0, "human_translation": 1, "machine_translation": 2}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="export a built dataset as TREC topics, ir_datasets-style jsonl or qrels")
    p.add_argument("dataset", help="builder name (clef-queries)")
    p.add_argument("dir", help="the build folder (curate build --out DIR)")
    p.add_argument("--format", choices=("trec", "jsonl", "qrels"), default="trec")
    p.add_argument("--language", help="topic language (ISO 639-1) for trec/jsonl; document language for qrels")
    p.add_argument("--collection", help="clef2000 ... clef2003 or hc4 (default: all)")
    p.add_argument("--split", help="train, dev or test (default: all)")
    p.add_argument("--origin", choices=tuple(ORIGIN_RANK), help="only this origin (default: best available per topic)")
    p.add_argument("--mt-system", help="only this MT system (implies --origin machine_translation)")
    p.add_argument("-o", "--output", help="file to write (default: standard output)")
    p.set_defaults(func=run)


def _rows(build_dir: Path, config: str, split: str | None) -> list[dict]:
    import datasets

    from curate.errors import CurateError

    folder = build_dir / config
    if not folder.is_dir():
        raise CurateError(f"{folder} does not exist: build it with `curate build clef-queries --config {config} "
                          f"--out {build_dir}`")
    loaded = datasets.load_from_disk(str(folder))
    parts = loaded.items() if isinstance(loaded, datasets.DatasetDict) else [("train", loaded)]
    return [row for name, ds in parts if split in (None, name) for row in ds]


def select_topics(rows: list[dict], language: str, collection: str | None, origin: str | None,
                  mt_system: str | None) -> list[dict]:
    """One version per (collection, topic): the requested origin/system, else original > human > machine."""
    best: dict[tuple[str, str], dict] = {}
    for r in rows:
        if r["language"] != language or (collection and r["collection"] != collection):
            continue
        if mt_system and r["mt_system"] != mt_system:
            continue
        if origin and r["origin"] != origin:
            continue
        key = (r["collection"], r["topic_id"])
        rank = (ORIGIN_RANK.get(r["origin"], 9), r["mt_system"] or "")
        if key not in best or rank < (ORIGIN_RANK.get(best[key]["origin"], 9), best[key]["mt_system"] or ""):
            best[key] = r
    return [best[k] for k in sorted(best, key=lambda k: (k[0], _num(k[1]), k[1]))]


def _num(topic_id: str) -> int:
    digits = "".join(c for c in topic_id if c.isdigit())
    return int(digits) if digits else -1


def qrels_id(topic_id: str) -> str:
    return str(_num(topic_id)) if topic_id[:1] in ("C", "c") and _num(topic_id) >= 0 else topic_id


def trec_topics(topics: list[dict]) -> str:
    out = []
    for t in topics:
        out.append(f"<top>\n<num> Number: {qrels_id(t['topic_id'])}\n<title> {t['title']}\n\n"
                   f"<desc> Description:\n{t['description'] or ''}\n\n<narr> Narrative:\n{t['narrative'] or ''}\n\n</top>\n")
    return "\n".join(out)


def jsonl_topics(topics: list[dict]) -> str:
    keys = ("collection", "language", "origin", "mt_system")
    return "".join(json.dumps({"query_id": qrels_id(t["topic_id"]), "title": t["title"], "description": t["description"],
                               "narrative": t["narrative"], **{k: t[k] for k in keys}}, ensure_ascii=False) + "\n"
                   for t in topics)


def trec_qrels(rows: list[dict], language: str | None, collection: str | None) -> str:
    rows = [r for r in rows if (not language or r["doc_language"] == language)
            and (not collection or r["collection"] == collection)]
    return "".join(f"{qrels_id(r['topic_id'])} 0 {r['doc_id']} {r['relevance']}\n" for r in rows)


def _write(text: str, output: str | None) -> None:
    if not output:
        sys.stdout.write(text)
        return
    path = Path(output)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def run(args: argparse.Namespace) -> int:
    from curate.errors import CurateError, UnknownNameError

    if args.dataset != "clef-queries":
        raise UnknownNameError("exportable dataset", args.dataset, ["clef-queries"])
    build_dir = Path(args.dir)
    if args.format == "qrels":
        text = trec_qrels(_rows(build_dir, "qrels", args.split), args.language, args.collection)
    else:
        if not args.language:
            raise CurateError(f"--format {args.format} needs --language (ISO 639-1, e.g. en, ky, fa)")
        origin = "machine_translation" if args.mt_system else args.origin
        topics = select_topics(_rows(build_dir, "topics", args.split), args.language, args.collection, origin,
                               args.mt_system)
        if not topics:
            raise CurateError(f"no {args.language} topics in {build_dir / 'topics'} for the given filters")
        ids = [qrels_id(t["topic_id"]) for t in topics]
        if len(set(ids)) < len(ids):  # CLEF C001 and HC4 1 are both "1" once exported
            raise CurateError(f"topic ids collide across collections {sorted({t['collection'] for t in topics})}; "
                              "pass --collection")
        text = trec_topics(topics) if args.format == "trec" else jsonl_topics(topics)
    _write(text, args.output)
    if args.output:
        print(f"wrote {args.output}", file=sys.stderr)
    return 0
