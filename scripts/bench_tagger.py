"""Throughput of the etymology tagger: batched engine vs a naive one-sentence-at-a-time loop.

    .venv/bin/python scripts/bench_tagger.py [--device cpu|cuda] [--model DIR] [--min-tokens 1000000]
                                             [--batch-tokens 8192] [--threads N] [--json-out PATH]

Input: every MUDT sentence (train+dev+test, 44,162 gold tokens), repeated until at least
`--min-tokens` tokens. Both runs use the same loaded model and the same engine code; the naive loop
calls `engine.tag([sentence])` once per sentence over one copy of MUDT (it is the slow side, so one
copy is enough for a stable rate). The feature cache is warmed by a first, separately timed cold
pass, so both timed runs see the same warm cache. Labels of the two runs are compared token by token.

The batched figure is a **warm-cache best case**: MUDT repeated has only 8,471 types, all cached after
the first pass, and every batch repeats the same sentences. A corpus keeps adding new types (Heaps' law);
`scripts/bench_corpus.py` measures that case (cold, 500k+ types, Zipf frequencies).
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--model", default=None, help="model folder (default: the shipped model)")
    parser.add_argument("--min-tokens", type=int, default=1_000_000)
    parser.add_argument("--batch-tokens", type=int, default=8192)
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (default: all cores)")
    parser.add_argument("--json-out", type=Path, default=None)
    args = parser.parse_args()

    import os

    import torch

    from curate.formats.conllu import read_conllu
    from curate.maltese.etymology.inference import EtymologyEngine
    from curate.maltese.resources import MUDT_DIR, MUDT_SPLITS

    mudt = [s.tokens for f in MUDT_SPLITS.values() for s in read_conllu(MUDT_DIR / f)]
    mudt_tokens = sum(map(len, mudt))
    copies = -(-args.min_tokens // mudt_tokens)
    corpus = mudt * copies
    engine = EtymologyEngine.from_pretrained(args.model, device=args.device, batch_tokens=args.batch_tokens,
                                             threads=args.threads)
    sync = torch.cuda.synchronize if args.device == "cuda" else (lambda: None)

    start = time.perf_counter()
    engine.tag(mudt)  # cold: every type's features computed once
    sync()
    cold = time.perf_counter() - start
    if args.device == "cuda":
        torch.cuda.reset_peak_memory_stats()

    start = time.perf_counter()
    batched = engine.tag(corpus)
    sync()
    batched_s = time.perf_counter() - start

    start = time.perf_counter()
    naive = [engine.tag([sentence])[0] for sentence in mudt]
    sync()
    naive_s = time.perf_counter() - start

    same = sum(a == b for (x, _), (y, _) in zip(batched[: len(mudt)], naive) for a, b in zip(x, y))
    result = {
        "device": args.device,
        "device_name": torch.cuda.get_device_name() if args.device == "cuda" else f"cpu ({os.cpu_count()} cores)",
        "threads": torch.get_num_threads(),
        "batch_tokens": args.batch_tokens,
        "cold_pass_tokens_per_s": round(mudt_tokens / cold),
        "batched_tokens": mudt_tokens * copies,
        "batched_seconds": round(batched_s, 2),
        "batched_tokens_per_s": round(mudt_tokens * copies / batched_s),
        "batched_note": "warm-cache best case (MUDT repeated, every type cached); see bench_corpus.py",
        "naive_tokens": mudt_tokens,
        "naive_seconds": round(naive_s, 2),
        "naive_tokens_per_s": round(mudt_tokens / naive_s),
        "speedup": round((mudt_tokens * copies / batched_s) / (mudt_tokens / naive_s), 2),
        "labels_identical": same / mudt_tokens,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    if args.device == "cuda":
        result["peak_cuda_mb"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    for key, value in result.items():
        print(f"{key:24s} {value}")
    if args.json_out:
        tmp = args.json_out.with_suffix(args.json_out.suffix + ".tmp")
        tmp.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        tmp.replace(args.json_out)


if __name__ == "__main__":
    main()
