"""Card statistics of one config: the old path (every split loaded as one pyarrow table, then polars) against
the streamed `curate.card_stats.ConfigStats` (batch by batch). Prints wall time and peak RSS of each, as
medians of interleaved runs, each in a fresh process so that peak memory is its own.

    .venv/bin/python scripts/bench_card_stats.py --rows 200000 --runs 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
mode, folder = sys.argv[1], Path(sys.argv[2])
t = time.perf_counter()
if mode == "tables":
    import polars as pl
    from curate.card import load_tables
    tables = load_tables(folder, "cfg", ["train"])
    df = pl.from_arrow(tables["train"].select(["reference", "summary"]))
    words = df.select(pl.col("reference").str.count_matches(r"\S+"), pl.col("summary").str.count_matches(r"\S+"))
    figure = float(words["reference"].median())
else:
    from curate.card_stats import ConfigStats
    from curate.shards import read_batches
    stats = ConfigStats()
    for shard in sorted((folder / "cfg" / "train").glob("data-*.arrow")):
        for batch in read_batches(shard):
            stats.update("train", batch)
    figure = stats.result()["lengths"]["reference"]["splits"]["train"]["median"]
print(json.dumps({"s": time.perf_counter() - t, "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "median_words": figure}))
"""


def make_config(folder: Path, rows: int) -> int:
    """`rows` records of a ~300-word reference and a ~40-word summary, in 64 MiB Arrow stream shards."""
    import random

    import pyarrow as pa

    rng = random.Random(0)
    vocab = [f"w{i}" for i in range(5000)]
    schema = pa.schema([("id", pa.string()), ("reference", pa.string()), ("summary", pa.string())])
    out = folder / "cfg" / "train"
    out.mkdir(parents=True)
    shard, written, sink, writer = 0, 0, None, None
    for start in range(0, rows, 2000):
        n = min(2000, rows - start)
        batch = pa.record_batch([[f"id{start + i}" for i in range(n)],
                                 [" ".join(rng.choices(vocab, k=rng.randint(100, 500))) for _ in range(n)],
                                 [" ".join(rng.choices(vocab, k=rng.randint(20, 60))) for _ in range(n)]], schema=schema)
        if writer is None or written > 64 * 2**20:
            if writer is not None:
                writer.close()
                sink.close()
            sink = pa.OSFile(str(out / f"data-{shard:05d}.arrow"), "wb")
            writer, written, shard = pa.ipc.new_stream(sink, schema), 0, shard + 1
        writer.write_batch(batch)
        written += batch.nbytes
    writer.close()
    sink.close()
    return sum(p.stat().st_size for p in out.iterdir())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        size = make_config(Path(tmp), args.rows)
        print(f"config: {args.rows} rows, {size / 2**20:.0f} MiB of Arrow shards")
        results: dict[str, list[dict]] = {"tables": [], "streamed": []}
        for _ in range(args.runs):
            for mode in results:  # interleaved, each in a fresh process
                done = subprocess.run([sys.executable, "-c", CHILD, mode, tmp], capture_output=True, text=True,
                                      check=True)
                results[mode].append(json.loads(done.stdout))
    med = {m: {k: statistics.median(r[k] for r in rs) for k in ("s", "rss_mib")} for m, rs in results.items()}
    assert len({r["median_words"] for rs in results.values() for r in rs}) == 1, "the two paths disagree"
    for mode, m in med.items():
        print(f"{mode:9s} median of {args.runs}: {m['s']:.2f} s, peak RSS {m['rss_mib']:.0f} MiB")
    print(f"streamed / tables: time {med['streamed']['s'] / med['tables']['s']:.2f}x, "
          f"peak RSS {med['streamed']['rss_mib'] / med['tables']['rss_mib']:.2f}x")


if __name__ == "__main__":
    main()
