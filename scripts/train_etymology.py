"""Train the default etymology model shipped in curate/models/etymology-default/ (fixed seed).

    .venv/bin/python scripts/train_etymology.py [--out DIR] [--seed 0] [--cv-json PATH ...] [--check-json PATH]

Trains on all 439 annotated sentences (merged labels) with DEFAULT_OPTIONS and writes the model
folder plus a model card. `--cv-json` takes the JSON reports of `curate etymology eval --json` (one
report, or the `{"full": ..., "none": ...}` pair of `--lexicon both`) whose figures go into the card;
without it the card says none were given.
"""

from __future__ import annotations

import argparse
import json
import textwrap
import time
from pathlib import Path

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "curate" / "models" / "etymology-default"
# the TrainConfig/EtymologyConfig defaults, spelt out; chosen on grouped 10-fold CV, seed 7, first 4 folds
DEFAULT_OPTIONS = {"epochs": 30, "lexicon_dropout": 0.3, "distill_types": 16384, "distill_rounds": 2,
                   "context_encoder": "conv"}


def _protocol_name(p: dict) -> str:
    if p.get("split") == "documents":
        name = f"leave-one-document-out ({p['folds']} documents)"
    else:
        name = f"{p['folds']}-fold, seed {p['seed']}, {'grouped' if p['grouped'] else 'ungrouped'}"
    return f"{name}, lexicon {p.get('lexicon', 'full')}"


def _flatten(loaded: list[dict]) -> list[dict]:
    """Single reports, and the per-lexicon reports of `--lexicon both`, in order."""
    return [r for x in loaded for r in ([x] if "protocol" in x else x.values())]


def _scores_table(reports: list[dict]) -> str:
    if not reports:
        return "No cross-validation report was given when this card was written.\n"
    lines = ["| protocol | all acc | all macro-F1 | unseen acc | unseen macro-F1 | unseen tokens |", "|---|---:|---:|---:|---:|---:|"]
    for r in reports:
        name = _protocol_name(r["protocol"])
        lines.append(
            f"| {name} | {100 * r['all']['accuracy']:.2f} % | {100 * r['all']['macro_f1']:.2f} | "
            f"{100 * r['unseen']['accuracy']:.2f} % | {100 * r['unseen']['macro_f1']:.2f} | {r['unseen']['tokens']} |"
        )
    lines.append("")
    lines.append("Per-label F1, all tokens:")
    for r in reports:
        f1 = ", ".join(f"{label} {100 * v['f1']:.2f}" for label, v in r.get("per_label", {}).items())
        lines.append(f"- {_protocol_name(r['protocol'])}: {f1}")
    return "\n".join(lines) + "\n"


def _check_sentence(check: dict | None) -> str:
    """What `scripts/etymology_mudt_check.py` measured for this recipe (its result with no options but the seed)."""
    result = next((r for r in (check or {}).get("results", []) if set(r["options"]) <= {"seed"}), None)
    if result is None:
        return "`scripts/etymology_mudt_check.py` checks a recipe on MUDT documents outside the annotations."
    unseen = result["none"]["unseen"]
    return textwrap.fill(
        f"A check against MUDT's own tags on 39 documents outside the annotations "
        f"(`scripts/etymology_mudt_check.py`: a model of this recipe, seed {result['options'].get('seed', 0)}, "
        f"trained with those documents' forms kept out of distillation, tagging without tables) labels "
        f"{100 * unseen['propn_as_name']:.2f} % of unseen proper nouns (`PROPN`) Name and "
        f"{100 * unseen['eng_as_cs']:.2f} % of unseen English words (`X_ENG`) Code-Switching (proxies, "
        f"not accuracies: docs/benchmarks/etymology.md).", width=106)


def card(options: dict, seed: int, sentences: int, tokens: int, seconds: float, reports: list[dict],
         check: dict | None = None) -> str:
    return f"""---
language: mt
license: mit
tags: [token-classification, etymology, maltese]
---
# etymology-default: Maltese token etymology tagger

A small token classifier (`EtymologyModel`, `curate.maltese.etymology.model`) trained from scratch: a
character CNN per word type, lexical evidence (similarity of the token to its word-level Italian and
English translations, presence in the mt-en/it/ar tables, shape, frequent character n-grams), a word
memoriser (label distribution of the lower-cased form; out-of-fold during training) and word-level
convolutions for sentence context.

- **Data:** the 439 etymology-annotated sentences (9,683 tokens) of MLRS/malti `2024.eacl`
  (`src/etymology_data/annotations.tsv`, MIT), which are the first 439 sentences of
  UD_Maltese-MUDT train (CC BY-SA 4.0). Trained on all {sentences} sentences / {tokens} tokens.
- **Labels (merged):** `Arabic`, `Non-Arabic`, `Symbol`, `Name`, `Code-Switching`.
- **Training:** `scripts/train_etymology.py --seed {seed}`, options `{json.dumps(options)}`,
  {seconds:.0f} s on the CPU it ran on.
- **Missing translations are normal:** the tables (`mt-en`/`mt-it`/`mt-ar`, ~31k types) were made for
  the annotation and MUDT vocabulary; real text is mostly outside them. During training each type's
  table evidence is hidden with probability `lexicon_dropout` per batch, so a token the tables lack is
  a case the model has seen. Tokens in the tables still use them.
- **Table distillation** (`distill_types`, `distill_rounds`; `curate/maltese/etymology/distill.py`): a
  first model trained this way reads the tables and gives soft labels to the 27,981 table types the
  annotations lack; a fresh model then trains on the annotations plus `distill_types` of those types per
  epoch with their table evidence hidden, so what the tables say reaches the character encoder and, through
  it, words that are in no table. Each round's model labels the pool for the next; this model is the last
  of `distill_rounds`. In cross-validation the test fold's forms are kept out of the pool. The pool holds
  every MUDT type, so on MUDT beyond the 439 sentences this model has seen each word (with a teacher's
  label, never a gold one); the `lexicon full` figures below (test forms kept out of the pool) are the
  closest held-out description of MUDT.
- **Needs:** the translation tables shipped in `curate/data/maltese/translations/` (read at load time).
- **Tokens:** MUDT tokenisation (`il-`, `għall-`, `b'` stand alone). `EtymologyTagger` re-tokenises
  other token lists (Moses keeps `għall-familji` fused) the MUDT way before tagging.
- **Use:** `curate tag --model THIS_FOLDER file.txt`, or
  `EtymologyEngine.from_pretrained(THIS_FOLDER).tag([["Il-", "Qorti", "qalet"]])`.

## Scores (cross-validation with the same options; tokens unseen = lower-cased form absent from the training folds)
Protocols: `lexicon full` = test tokens read the translation tables (every annotated token is in them);
`lexicon none` = as if no token were in them (text outside the tables); leave-one-document-out = each of
the 8 MUDT source documents is tested by a model trained on the 7 others (new source, new topic).
Commands: `curate etymology eval --grouped --folds 10 --seed S --lexicon both --json` and
`curate etymology eval --split documents --lexicon both --json` (see docs/benchmarks/etymology.md).

{_scores_table(reports)}
New documents are the weak spot: leave-one-document-out above is the closest description of text from a
new source, and its errors gather in Code-Switching and Name (per-label F1 above).
{_check_sentence(check)}

Reference system (MLRS/malti mle+crf, EACL 2024, 10-fold): 98.4 % / 97.0 all, 89.9 % / 83.0 unseen.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--cv-json", type=Path, nargs="*", default=[])
    parser.add_argument("--check-json", type=Path, help="scripts/etymology_mudt_check.py --json-out file")
    args = parser.parse_args()

    from curate.maltese.etymology.train import save_backend, split_options, train_tagger
    from curate.maltese.resources import MERGED_LABELS, read_annotations

    annotations = read_annotations()
    sentences = [list(a.tokens) for a in annotations]
    ids = [[MERGED_LABELS.index(x) for x in a.merged] for a in annotations]
    options = {**DEFAULT_OPTIONS, "seed": args.seed, "threads": args.threads}
    train, model_kwargs = split_options(options)
    start = time.perf_counter()
    backend = train_tagger(sentences, ids, MERGED_LABELS, train, model_kwargs)
    seconds = time.perf_counter() - start
    out = save_backend(backend, args.out)
    reports = _flatten([json.loads(p.read_text(encoding="utf-8")) for p in args.cv_json])
    check = json.loads(args.check_json.read_text(encoding="utf-8")) if args.check_json else None
    card_text = card(DEFAULT_OPTIONS, args.seed, len(sentences), sum(map(len, sentences)), seconds, reports, check)
    (out / "README.md").write_text(card_text, encoding="utf-8")
    size = sum(p.stat().st_size for p in out.iterdir())
    print(f"wrote {out} ({size / 1e6:.2f} MB) in {seconds:.1f} s")


if __name__ == "__main__":
    main()
