"""Per-type feature cost of the etymology tagger: batched `featurize_types` vs the one-by-one definition.

    .venv/bin/python scripts/bench_features.py [--types 50000] [--runs 5] [--wordlists]

New types are MUDT types with a suffix appended (absent from the translation tables, like real text
outside them); `--tables` uses MUDT types as they are (all in the tables, Python path per type).
Runs alternate between the two paths; medians are printed with their ratio. One CPU thread.
"""

from __future__ import annotations

import argparse
import statistics
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--types", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tables", action="store_true", help="MUDT types themselves (all in the tables)")
    parser.add_argument("--wordlists", action="store_true", help="include the word-list features")
    args = parser.parse_args()

    from curate.formats.conllu import read_conllu
    from curate.maltese.etymology.batch_features import featurize_types
    from curate.maltese.etymology.features import TypeFeaturizer
    from curate.maltese.etymology.lexicon import load_lexicon
    from curate.maltese.resources import MUDT_DIR, MUDT_SPLITS

    mudt = sorted({t for name in MUDT_SPLITS.values() for s in read_conllu(MUDT_DIR / name) for t in s.tokens})
    if args.tables:
        types = mudt
    else:
        types = [t + suffix for suffix in ("zq", "xa", "bb", "mi", "nu", "ta", "ok", "ek") for t in mudt][: args.types]
    lexicon = load_lexicon()
    alphabet = "".join(sorted({c for t in mudt for c in t.lower()}))
    featurizer = TypeFeaturizer(alphabet, lexicon.ngrams, lexicon, 24, wordlists=args.wordlists)
    featurize_types(featurizer, types[:100])  # one-time tables (character classes, word lists)
    one_sample = types[: min(len(types), 5000)]
    batched, single = [], []
    for _ in range(args.runs):
        start = time.perf_counter()
        featurize_types(featurizer, types)
        batched.append(len(types) / (time.perf_counter() - start))
        start = time.perf_counter()
        for t in one_sample:
            featurizer._chars(t), featurizer._features(t)
        single.append(len(one_sample) / (time.perf_counter() - start))
    b, s = statistics.median(batched), statistics.median(single)
    kind = "in the tables" if args.tables else "absent from the tables"
    print(f"{len(types):,} types {kind}{' + word lists' if args.wordlists else ''}: batched {b:,.0f} types/s, "
          f"one by one {s:,.0f} types/s, ratio {b / s:.1f}x (medians of {args.runs} interleaved runs)")


if __name__ == "__main__":
    main()
