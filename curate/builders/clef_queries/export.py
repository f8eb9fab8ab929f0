"""`curate export clef-queries DIR --format trec|jsonl|qrels`: a built dataset as retrieval tools read it.

`trec` writes TREC topic files (`<top> <num> Number: 141 <title> ... </top>`, as Anserini and trec_eval
tooling read them); `jsonl` writes ir_datasets-style query records (`query_id`, `title`, `description`,
`narrative`, plus where the text came from); `qrels` writes TREC qrels. CLEF topic ids are written as
the qrels use them (`C141` -> `141`), so runs score directly with trec_eval. Because of that, CLEF and HC4
topics can share a number (CLEF C142 and HC4 142): an export mixing collections that collide is refused,
and `--collection` picks one.

One version of each topic is written: `--origin` and `--mt-system` choose, else the original, then a
human translation, then a machine translation. HC4 topics have several MT systems (Persian train has six):
without `--mt-system` the one ir_datasets uses is taken (`20220114-scale21-sockeye2-tm1`, the last MT entry
of every HC4 topic, and the only one in dev and test); a topic whose MT versions come from several other
systems is an error listing them. HC4 text is stored with its whitespace collapsed (runs of spaces,
newlines and no-break spaces become one space: 28 of 1,950 HC4 titles and descriptions change, mostly a
no-break space in Persian; zero-width non-joiners are kept), so exports carry the collapsed text.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from pathlib import Path

from curate.errors import CurateError
from curate.formats.exporter import Exporter
from curate.formats.trec import TrecTopic, format_qrels, format_topics

from .aligned import ORIGIN_RANK
from .options import ALL_COLLECTIONS

IR_DATASETS_MT_SYSTEM = "20220114-scale21-sockeye2-tm1"  # what ir_datasets' hc4/* queries carry as mt_*


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--language", help="topic language (ISO 639-1) for trec/jsonl; document language for qrels")
    p.add_argument("--collection", choices=ALL_COLLECTIONS,
                   help="clef2000 ... clef2003 or hc4 (default: all, refused when ids collide)")
    p.add_argument("--split", choices=("train", "dev", "test"), help="train, dev or test (default: all)")
    p.add_argument("--origin", choices=tuple(ORIGIN_RANK), help="only this origin (default: best available per topic)")
    p.add_argument("--mt-system", help="only this MT system (implies --origin machine_translation); default: "
                   f"{IR_DATASETS_MT_SYSTEM} where a topic has it, as in ir_datasets")


def _rows(build_dir: Path, config: str, split: str | None) -> list[dict]:
    import datasets

    folder = build_dir / config
    if not folder.is_dir():
        raise CurateError(f"{folder} does not exist: build it with `curate build clef-queries --config {config} "
                          f"--out {build_dir}`")
    loaded = datasets.load_from_disk(str(folder))
    parts = loaded.items() if isinstance(loaded, datasets.DatasetDict) else [("train", loaded)]
    return [row for name, ds in parts if split in (None, name) for row in ds]


def _num(topic_id: str) -> int:
    digits = "".join(c for c in topic_id if c.isdigit())
    return int(digits) if digits else -1


def qrels_topic_id(topic_id: str) -> str:
    """The id as qrels files write it: CLEF `C141` -> `141`; HC4 ids pass through."""
    return str(_num(topic_id)) if topic_id[:1] in ("C", "c") and _num(topic_id) >= 0 else topic_id


def _mt_choice(versions: list[dict], key: tuple[str, str]) -> dict:
    """Among machine translations of one topic: the ir_datasets system, else the only one, else an error."""
    systems = sorted({v["mt_system"] or "" for v in versions})
    if len(systems) == 1:
        return versions[0]
    for v in versions:
        if v["mt_system"] == IR_DATASETS_MT_SYSTEM:
            return v
    raise CurateError(f"{key[0]} topic {key[1]} has machine translations from several systems; choose one with "
                      f"--mt-system: {', '.join(systems)}")


def select_topics(rows: list[dict], language: str, collection: str | None, origin: str | None,
                  mt_system: str | None) -> list[dict]:
    """One version per (collection, topic): the requested origin/system, else original > human > machine."""
    candidates: dict[tuple[str, str], list[dict]] = {}
    systems: set[str] = set()
    for r in rows:
        if r["language"] != language or (collection and r["collection"] != collection):
            continue
        if r["origin"] == "machine_translation":
            systems.add(r["mt_system"] or "")
        if (mt_system and r["mt_system"] != mt_system) or (origin and r["origin"] != origin):
            continue
        candidates.setdefault((r["collection"], r["topic_id"]), []).append(r)
    if mt_system and not candidates:
        raise CurateError(f"no {language} topics from MT system {mt_system!r}; available: "
                          f"{', '.join(sorted(systems)) or '(none)'}")
    best = {}
    for key, versions in candidates.items():
        top = min(ORIGIN_RANK.get(v["origin"], 9) for v in versions)
        versions = [v for v in versions if ORIGIN_RANK.get(v["origin"], 9) == top]
        best[key] = _mt_choice(versions, key) if versions[0]["origin"] == "machine_translation" else versions[0]
    return [best[k] for k in sorted(best, key=lambda k: (k[0], _num(k[1]), k[1]))]


def refuse_collisions(items: Iterable[tuple[str, str]]) -> None:
    """(exported id, collection) pairs: one id from two collections cannot be told apart in the file."""
    seen: dict[str, set[str]] = {}
    for topic_id, collection in items:
        seen.setdefault(topic_id, set()).add(collection)
    clashing = sorted({c for cs in seen.values() if len(cs) > 1 for c in cs})
    if clashing:
        example = next(t for t, cs in seen.items() if len(cs) > 1)
        raise CurateError(f"topic ids collide across collections {clashing} (e.g. {example}); pass --collection")


def _topics(build_dir: Path, args: argparse.Namespace) -> list[dict]:
    if not args.language:
        raise CurateError(f"--format {args.format} needs --language (ISO 639-1, e.g. en, ky, fa)")
    origin = "machine_translation" if args.mt_system else args.origin
    topics = select_topics(_rows(build_dir, "topics", args.split), args.language, args.collection, origin,
                           args.mt_system)
    if not topics:
        raise CurateError(f"no {args.language} topics in {build_dir / 'topics'} for the given filters")
    refuse_collisions((qrels_topic_id(t["topic_id"]), t["collection"]) for t in topics)
    return topics


def export_trec(build_dir: Path, args: argparse.Namespace) -> str:
    return format_topics(TrecTopic(qrels_topic_id(t["topic_id"]), t["title"], t["description"], t["narrative"])
                         for t in _topics(build_dir, args))


def export_jsonl(build_dir: Path, args: argparse.Namespace) -> str:
    import json

    keys = ("collection", "language", "origin", "mt_system")
    return "".join(json.dumps({"query_id": qrels_topic_id(t["topic_id"]), "title": t["title"],
                               "description": t["description"], "narrative": t["narrative"],
                               **{k: t[k] for k in keys}}, ensure_ascii=False) + "\n"
                   for t in _topics(build_dir, args))


def export_qrels(build_dir: Path, args: argparse.Namespace) -> str:
    rows = [r for r in _rows(build_dir, "qrels", args.split)
            if (not args.language or r["doc_language"] == args.language)
            and (not args.collection or r["collection"] == args.collection)]
    if not rows:  # an empty file would read as "no judgements" to trec_eval: say why instead
        raise CurateError(f"no qrels in {build_dir / 'qrels'} for the given filters (--language is the document "
                          "language for qrels)")
    refuse_collisions((qrels_topic_id(r["topic_id"]), r["collection"]) for r in rows)
    return format_qrels((qrels_topic_id(r["topic_id"]), r["doc_id"], r["relevance"]) for r in rows)


EXPORTERS = (
    Exporter("trec", "TREC topic file (Anserini, trec_eval tooling)", add_arguments, export_trec),
    Exporter("jsonl", "ir_datasets-style query records, one JSON object per line", add_arguments, export_jsonl),
    Exporter("qrels", "TREC qrels: topic 0 doc_id relevance", add_arguments, export_qrels),
)
