"""Throughput of the Maltese→Arabic transliterator over all MUDT running text (44,162 tokens, 3 splits).

Single process; `sentence` rows make one `results()` call per sentence (the way the transforms
call it), `text` rows one call for the whole text (the batch API: `transliterate_many` is `results`
plus one C-level `map`). Each mode runs
without the per-type cache (`cache_size=0`: every token computed) and with it (a fresh engine per run,
so every first occurrence of a type still pays). Prints the median of `--runs` runs in tokens/s of
wall-clock time and of this process's CPU time (the machine is shared: under load the wall figure
also counts time spent waiting for a core), the ratio to the reference implementation's figures quoted
in issue 4 (OpenFst via pynini on the same 2-core machine: 11,400 tokens/s deterministic, 1,900 tokens/s
candidates; not re-run here), the issue's 100x target, and the cached/uncached ratio.

    .venv/bin/python scripts/bench_translit.py [--runs 5] [--max-candidates 1000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from curate.formats.conllu import read_conllu
from curate.maltese.resources import MUDT_DIR, MUDT_SPLITS
from curate.maltese.transliteration import MalteseTransliterator

REFERENCE_TOK_S = {"deterministic": 11_400, "candidates": 1_900}  # issue 4, OpenFst/pynini
TARGET = 100  # the target: at least 100x the reference


def mudt_sentences() -> list[list[str]]:
    return [s.tokens for name in MUDT_SPLITS.values() for s in read_conllu(MUDT_DIR / name)]


def run_once(sentences: list[list[str]], mode: str, cached: bool, cap: int, calls: str) -> tuple[float, float]:
    """(wall, CPU) tokens/s of a fresh engine (empty cache) transliterating every sentence, with one
    `results()` call per sentence or one call for the whole text."""
    engine = MalteseTransliterator(mode, max_candidates=cap, cache_size=200_000 if cached else 0)
    batches = sentences if calls == "sentence" else [[t for s in sentences for t in s]]
    results, n = engine.results, sum(map(len, batches))
    wall, cpu = time.perf_counter(), time.process_time()
    for tokens in batches:
        results(tokens)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert engine.stats["tokens"] == n
    return n / wall, n / cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per figure; the median is reported")
    parser.add_argument("--max-candidates", type=int, default=1000)
    args = parser.parse_args()
    sentences = mudt_sentences()
    tokens = [t for s in sentences for t in s]
    for mode in REFERENCE_TOK_S:  # load the tables outside the timed runs
        MalteseTransliterator(mode).result("x")
    print(f"MUDT running text: {len(sentences):,} sentences, {len(tokens):,} tokens, {len(set(tokens)):,} types; "
          f"median of {args.runs} runs; load average {os.getloadavg()[0]:.1f} at start")
    print(f"{'mode':22s} {'calls':9s} {'run':9s} {'wall tok/s':>11s} {'CPU tok/s':>11s} {'x ref (wall)':>13s} "
          f"{'x ref (CPU)':>12s}  target {TARGET}x")
    for mode, cap in [("deterministic", 1), ("candidates", args.max_candidates), ("candidates", 10**9)]:
        label = mode if mode == "deterministic" else f"candidates, cap {cap if cap < 10**9 else 'none'}"
        ref = REFERENCE_TOK_S[mode]
        for calls in ("sentence", "text"):
            medians = {}
            for cached in (False, True):
                runs = [run_once(sentences, mode, cached, cap, calls) for _ in range(args.runs)]
                wall, cpu = (statistics.median(r[i] for r in runs) for i in (0, 1))
                medians[cached] = (wall, cpu)
                met = "met" if wall >= TARGET * ref else ("met in CPU time" if cpu >= TARGET * ref else "not met")
                print(f"{label:22s} {calls:9s} {'cached' if cached else 'uncached':9s} {wall:>11,.0f} {cpu:>11,.0f} "
                      f"{wall / ref:>12.1f}x {cpu / ref:>11.1f}x  {met}")
            (uw, uc), (cw, cc) = medians[False], medians[True]
            print(f"{label:22s} {calls:9s} cached/uncached: {cw / uw:.1f}x wall, {cc / uc:.1f}x CPU")
    print(f"load average {os.getloadavg()[0]:.1f} at end")


if __name__ == "__main__":
    main()
