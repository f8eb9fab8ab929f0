"""Check etymology recipes on MUDT text from documents the annotations never saw, against MUDT's own tags.

The 439 annotated sentences come from 8 MUDT documents; MUDT (train beyond them, dev, test) holds 1,618
sentences from 39 other documents with no etymology labels. Its part-of-speech layer is an independent
annotation of two of our classes: `PROPN` is a name (434 of the annotations' 569 Name tokens are PROPN;
4 PROPN tokens carry another label) and XPOS `X_ENG` is English (222 of 398 Code-Switching tokens; never
Arabic or Non-Arabic). So, with each recipe trained on all 439 annotated sentences and the check
sentences' forms kept out of table distillation, this prints for tokens of the new documents, without
table evidence (`--lexicon none`, what users' text looks like):

- `propn_as_name`: share of PROPN tokens labelled Name (a recall proxy);
- `eng_as_cs`: share of X_ENG tokens labelled Code-Switching (a recall proxy; few tokens);
- `other_as_name`, `other_as_cs`: share of the remaining words (not PROPN, not X_*, not PUNCT/SYM/NUM)
  labelled Name or Code-Switching: mostly false alarms, though some are true (untagged English nouns such
  as `management`).

It is a proxy for choosing between recipes on new documents without touching the held-out protocols
(grouped seed 31337, leave-one-document-out): no figure here is an accuracy.

    .venv/bin/python scripts/etymology_mudt_check.py --options '{}' '{"wordlists": true}' --json-out out.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from curate.formats.conllu import read_conllu  # noqa: E402
from curate.maltese.etymology.documents import annotation_documents  # noqa: E402
from curate.maltese.etymology.evaluate import fit_and_predict  # noqa: E402
from curate.maltese.resources import MERGED_LABELS, MUDT_DIR, MUDT_SPLITS, read_annotations  # noqa: E402


def check_sentences(annotated: list) -> list:
    """MUDT sentences whose document has no annotated sentence (annotations checked against MUDT's order)."""
    train = list(read_conllu(MUDT_DIR / MUDT_SPLITS["train"]))
    seen_docs = set(annotation_documents([a.tokens for a in annotated]))
    out = []
    for split in ("train", "validation", "test"):
        rows = train if split == "train" else read_conllu(MUDT_DIR / MUDT_SPLITS[split])
        out += [s for s in rows if s.sent_id.partition(":")[0] not in seen_docs]
    return out


def token_kind(row: dict) -> str:
    if row["upos"] == "PROPN":
        return "propn"
    if row["xpos"] == "X_ENG":
        return "eng"
    return "tagged_x" if row["xpos"].startswith("X_") or row["upos"] in ("PUNCT", "SYM", "NUM") else "other"


def score(sentences: list, predictions: list[list[str]], known: set[str]) -> dict:
    counts: dict[str, dict[str, dict[str, int]]] = {"all": {}, "unseen": {}}
    for sentence, labels in zip(sentences, predictions, strict=True):
        for row, label in zip(sentence.rows, labels, strict=True):
            kind = token_kind(row)
            for part in ("all", "unseen") if row["form"].lower() not in known else ("all",):
                by = counts[part].setdefault(kind, {})
                by[label] = by.get(label, 0) + 1
    return {part: {
        "propn_as_name": _share(by_kind, "propn", "Name"), "eng_as_cs": _share(by_kind, "eng", "Code-Switching"),
        "other_as_name": _share(by_kind, "other", "Name"), "other_as_cs": _share(by_kind, "other", "Code-Switching"),
        "tokens": {k: sum(v.values()) for k, v in sorted(by_kind.items())},
    } for part, by_kind in counts.items()}


def _share(by_kind: dict[str, dict[str, int]], kind: str, label: str) -> float:
    total = sum(by_kind.get(kind, {}).values())
    return round(by_kind.get(kind, {}).get(label, 0) / total, 4) if total else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--options", nargs="+", default=["{}"], help="one --model-config JSON per recipe")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2, help="recipes trained at once (one thread each)")
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args()

    annotations = read_annotations()
    check = check_sentences(annotations)
    labels = list(MERGED_LABELS)
    label_id = {x: i for i, x in enumerate(labels)}
    train = [list(a.tokens) for a in annotations]
    train_ids = [[label_id[x] for x in a.merged] for a in annotations]
    test = [list(s.tokens) for s in check]
    known = {t.lower() for s in train for t in s}
    recipes = [{"seed": args.seed, **json.loads(o)} for o in args.options]
    print(f"{len(check)} check sentences, {sum(map(len, test))} tokens; {len(recipes)} recipes", flush=True)
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.jobs, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(fit_and_predict, r, labels, train, train_ids, test, 1, ("full", "none")) for r in recipes]
        results = []
        for recipe, future in zip(recipes, futures):
            predicted = future.result()
            result = {"options": recipe, **{lx: score(check, predicted[lx], known) for lx in ("full", "none")}}
            results.append(result)
            print(json.dumps(result), flush=True)
    seconds = round(time.perf_counter() - start, 1)
    print(f"{seconds:.0f} s", flush=True)
    if args.json_out:
        out = {"command": " ".join(sys.argv), "seconds": seconds, "results": results}
        args.json_out.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
