"""Benchmark: ArrowShardWriter vs a bare pyarrow IPC stream writer on the same text records.

    python scripts/bench_shards.py --gb 1.0 --repeat 3 --out /tmp/bench-shards

Each measurement runs in a fresh subprocess so peak RSS (ru_maxrss) is its own. Reports MB/s for both
writers, their ratio (target: ours >= 0.8x bare pyarrow), and our peak RSS at 1/10 and at the full size
(target: < 400 MB and flat as rows grow 10x).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import datasets
import pyarrow as pa

FEATURES = datasets.Features({"id": datasets.Value("string"), "text": datasets.Value("string"),
                              "tokens": datasets.Sequence(datasets.Value("string"))})


def make_pool(n: int = 1000) -> list[dict]:
    words = [f"w{i:04d}ħ" for i in range(5000)]
    pool = []
    for i in range(n):
        toks = [words[(i * 31 + j * 17) % len(words)] for j in range(60 + i % 90)]
        pool.append({"id": f"doc-{i}", "text": " ".join(toks) * 2, "tokens": toks})
    return pool


def record_bytes(r: dict) -> int:
    return len(r["id"]) + len(r["text"].encode()) + sum(len(t.encode()) for t in r["tokens"])


def run_one(mode: str, target_bytes: int, out: Path) -> dict:
    from curate.shards import ArrowShardWriter, hf_schema

    pool = make_pool()
    sizes = [record_bytes(r) for r in pool]
    schema = hf_schema(FEATURES)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    written = rows = 0
    start = time.perf_counter()
    if mode == "ours":
        w = ArrowShardWriter(out, schema, max_shard_bytes=256 * 1024 * 1024)
        while written < target_bytes:
            i = rows % len(pool)
            w.write(pool[i])
            written += sizes[i]
            rows += 1
        w.close()
    else:
        with open(out / "bare.arrow", "wb") as f, pa.ipc.new_stream(f, schema) as w:
            buf = []
            while written < target_bytes:
                i = rows % len(pool)
                buf.append(pool[i])
                written += sizes[i]
                rows += 1
                if len(buf) == 1000:
                    w.write_batch(pa.RecordBatch.from_pylist(buf, schema=schema))
                    buf = []
            if buf:
                w.write_batch(pa.RecordBatch.from_pylist(buf, schema=schema))
    elapsed = time.perf_counter() - start
    on_disk = sum(p.stat().st_size for p in out.iterdir())
    shutil.rmtree(out, ignore_errors=True)
    return {"mode": mode, "rows": rows, "payload_mb": written / 1e6, "disk_mb": on_disk / 1e6, "seconds": elapsed,
            "mb_per_s": written / 1e6 / elapsed, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def measure(mode: str, target_bytes: int, out: Path) -> dict:
    os.sync()  # the previous run's dirty pages must not be written back during this one
    proc = subprocess.run([sys.executable, __file__, "--child", mode, "--bytes", str(target_bytes), "--out", str(out)],
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--gb", type=float, default=1.0)
    ap.add_argument("--out", type=Path, default=Path("/tmp/curate-bench-shards"))
    ap.add_argument("--child", choices=("ours", "bare"))
    ap.add_argument("--bytes", type=int)
    ap.add_argument("--repeat", type=int, default=3, help="interleaved bare/ours pairs; medians are reported")
    args = ap.parse_args()
    if args.child:
        print(json.dumps(run_one(args.child, args.bytes, args.out)))
        return
    full = int(args.gb * 1e9)
    runs: dict[str, list[dict]] = {"bare_full": [], "ours_full": [], "ours_tenth": []}
    for _ in range(args.repeat):  # interleaved, so drift in machine load hits both writers alike
        runs["bare_full"].append(measure("bare", full, args.out / "bare"))
        runs["ours_full"].append(measure("ours", full, args.out / "ours"))
    runs["ours_tenth"].append(measure("ours", full // 10, args.out / "ours10"))
    results = {}
    for name, rs in runs.items():
        r = dict(rs[0])
        r["mb_per_s"] = statistics.median(x["mb_per_s"] for x in rs)
        r["seconds"] = statistics.median(x["seconds"] for x in rs)
        r["peak_rss_mb"] = max(x["peak_rss_mb"] for x in rs)
        results[name] = r
        print(f"{name:11s} rows={r['rows']:>9,} payload={r['payload_mb']:8.1f} MB disk={r['disk_mb']:8.1f} MB "
              f"median time={r['seconds']:6.2f} s  {r['mb_per_s']:7.1f} MB/s  peak RSS={r['peak_rss_mb']:6.1f} MB"
              f"  (runs: {', '.join(format(x['mb_per_s'], '.0f') for x in rs)} MB/s)")
    ratios = [o["mb_per_s"] / b["mb_per_s"] for o, b in zip(runs["ours_full"], runs["bare_full"], strict=True)]
    ratio = results["ours_full"]["mb_per_s"] / results["bare_full"]["mb_per_s"]
    growth = results["ours_full"]["peak_rss_mb"] / results["ours_tenth"]["peak_rss_mb"]
    print(f"throughput ratio ours/bare = {ratio:.2f}x of medians (pairwise: {', '.join(f'{r:.2f}' for r in ratios)}; "
          f"target >= 0.8)")
    print(f"peak RSS ours: {results['ours_tenth']['peak_rss_mb']:.0f} MB at 1/10 size, "
          f"{results['ours_full']['peak_rss_mb']:.0f} MB at full size (x{growth:.2f} for 10x rows; target < 400 MB, flat)")


if __name__ == "__main__":
    main()
