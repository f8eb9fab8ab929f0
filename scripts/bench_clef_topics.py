"""Benchmark: CLEF topic parsing time against file size (it must grow linearly, not quadratically).

    .venv/bin/python scripts/bench_clef_topics.py [--repeat 5]

Synthetic CLEF 2003-layout files (one topic is ~530 bytes, as in real files with a narrative) of
0.25 to 2 MiB, parsed with `parse_topic_text`. The in-run baseline is the bare tag scan (`re.finditer`
over the same text), a lower bound no parser can beat. Printed: median seconds of interleaved runs,
MiB/s, the ratio to the bare scan, and the growth factor when the size doubles (2 = linear, 4 = quadratic).
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from pathlib import Path

from curate.builders.clef_queries.topics import parse_topic_text

TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9_-]*)\s*>")


def topic_file(n: int) -> str:
    return "".join(f"<top>\n<num> C{i % 200 + 1:03d} </num>\n<EN-title> Topic number {i} </EN-title>\n"
                   f"<EN-desc> Find documents about subject {i}. </EN-desc>\n<EN-narr> Relevant documents discuss "
                   f"subject {i}; " + "background material alone is not relevant. " * 8 + "</EN-narr>\n</top>\n\n"
                   for i in range(n))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    per_topic = len(topic_file(1))
    sizes = [256 << 10, 512 << 10, 1 << 20, 2 << 20]
    texts = {s: topic_file(s // per_topic) for s in sizes}
    parse: dict[int, list[float]] = {s: [] for s in sizes}
    scan: dict[int, list[float]] = {s: [] for s in sizes}
    for _ in range(args.repeat):  # interleaved: machine noise hits every size alike
        for s, text in texts.items():
            t = time.perf_counter()
            parse_topic_text(text, Path("bench.txt"), 2003)
            parse[s].append(time.perf_counter() - t)
            t = time.perf_counter()
            sum(1 for _ in TAG.finditer(text))
            scan[s].append(time.perf_counter() - t)
    previous = None
    for s in sizes:
        p, q = statistics.median(parse[s]), statistics.median(scan[s])
        growth = f"{p / previous:4.2f}x" if previous else "  -  "
        print(f"{len(texts[s]) / 2**20:5.2f} MiB  {texts[s].count('<top>'):5d} topics  parse {p:7.3f} s "
              f"({len(texts[s]) / 2**20 / p:6.1f} MiB/s)  tag scan {q:6.3f} s  ratio {p / q:5.1f}x  "
              f"growth on doubling {growth}")
        previous = p


if __name__ == "__main__":
    main()
