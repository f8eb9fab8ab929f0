"""Throughput of the Maltese→Arabic transliterator over all MUDT running text (44,162 tokens, 3 splits).

Single process. Measures deterministic and candidate generation, each without the per-type cache
(every token computed) and with it (a fresh engine, so first occurrences still pay), and prints the
ratios to the reference implementation's figures quoted in issue 4 (OpenFst via pynini on the same
2-core machine: 11,400 tokens/s deterministic, 1,900 tokens/s candidates; not re-run here).

    .venv/bin/python scripts/bench_translit.py [--repeat 3] [--max-candidates 1000]
"""

from __future__ import annotations

import argparse
import time

from curate.formats.conllu import read_conllu
from curate.maltese.resources import MUDT_DIR, MUDT_SPLITS
from curate.transliteration import MalteseTransliterator

REFERENCE_TOK_S = {"deterministic": 11_400, "candidates": 1_900}  # issue 4, OpenFst/pynini


def mudt_sentences() -> list[list[str]]:
    return [s.tokens for name in MUDT_SPLITS.values() for s in read_conllu(MUDT_DIR / name)]


def run_once(sentences: list[list[str]], mode: str, cached: bool, cap: int) -> float:
    """A fresh engine (empty cache) transliterates every sentence, one `results()` call each."""
    engine = MalteseTransliterator(mode, max_candidates=cap, cache_size=200_000 if cached else 0)
    engine.result("x")  # table loading is not part of the throughput
    start = time.perf_counter()
    for tokens in sentences:
        engine.results(tokens)
    elapsed = time.perf_counter() - start
    assert engine.stats["tokens"] == 1 + sum(map(len, sentences))
    return (engine.stats["tokens"] - 1) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs")
    parser.add_argument("--max-candidates", type=int, default=1000)
    args = parser.parse_args()
    sentences = mudt_sentences()
    tokens = [t for s in sentences for t in s]
    print(f"MUDT running text: {len(sentences):,} sentences, {len(tokens):,} tokens, {len(set(tokens)):,} types; "
          f"best of {args.repeat}")
    caps = [("candidates", args.max_candidates), ("candidates", 10**9)]
    for mode, cap in [("deterministic", 1), *caps]:
        label = mode if mode == "deterministic" else f"candidates (cap {cap if cap < 10**9 else 'none'})"
        un = max(run_once(sentences, mode, False, cap) for _ in range(args.repeat))
        ca = max(run_once(sentences, mode, True, cap) for _ in range(args.repeat))
        ref = REFERENCE_TOK_S[mode]
        print(f"{label:28s} uncached {un:>12,.0f} tok/s ({un / ref:7.1f}x reference)  "
              f"type-cached {ca:>12,.0f} tok/s ({ca / ref:7.1f}x reference)  cached/uncached {ca / un:5.1f}x")


if __name__ == "__main__":
    main()
