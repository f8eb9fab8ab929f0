"""Benchmark: reading labels and enwiki sitelinks from a Wikidata JSON dump (entity-cs `--wikidata-dump`),
per core, for docs/scale.md.

Input: the real full entity Q42 (80 kB of JSON: 127 labels, 58 claims, 94 sitelinks) from the entity-cs
fixtures, repeated with fresh ids into a dump of about --mb MB, one entity per line as Wikidata writes
it, plus a bz2 copy. Measured in this process, one core, medians of --repeat interleaved runs:

- `json.loads` of every line (the in-run baseline: the least any reader must do),
- `curate.builders.entity_cs.jsondump.dump_tables` on the plain file (labels in 93 languages + enwiki titles),
- bz2 decompression alone, and `dump_tables` on the bz2 file (what a real `latest-all.json.bz2` costs),
- bytes of Python memory per kept label row (tracemalloc), to size the in-memory label table,
- bz2 and gzip decompression of real text (the entity-cs enwiki sample, 3.2:1 under bz2), since the
  repeated entity above compresses far better than a real dump and decompresses at another speed.

    nice -n 5 .venv/bin/python scripts/bench_wikidata_dump.py --mb 40 --repeat 3
"""

from __future__ import annotations

import argparse
import bz2
import json
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FIXTURE = ROOT / "curate/builders/entity_cs/sample/fixtures/wbgetentities-Q6-Q42-P31.json"


def make_dump(folder: Path, mb: float) -> tuple[Path, Path, int]:
    q42 = json.loads(FIXTURE.read_text())["entities"]["Q42"]
    lines, size, n = [], 0, 0
    while size < mb * 1e6:
        n += 1
        q42["id"] = f"Q{1000000 + n}"
        line = json.dumps(q42, ensure_ascii=False, separators=(",", ":")) + ",\n"
        lines.append(line)
        size += len(line.encode())
    plain = folder / "wikidata.json"
    plain.write_text("[\n" + "".join(lines) + "]\n", encoding="utf-8")
    packed = folder / "wikidata.json.bz2"
    packed.write_bytes(bz2.compress(plain.read_bytes(), 9))
    return plain, packed, n


def timed(fn) -> tuple[float, object]:
    start = time.process_time()
    out = fn()
    return time.process_time() - start, out


def json_baseline(path: Path) -> int:
    n = 0
    with open(path, "rb") as fh:
        for raw in fh:
            line = raw.strip().rstrip(b",")
            if line not in (b"", b"[", b"]"):
                json.loads(line)
                n += 1
    return n


def bz2_only(path: Path) -> int:
    total = 0
    with bz2.open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            total += len(chunk)
    return total


def real_text_decompression(rounds: int = 50) -> dict[str, float]:
    import gzip

    raw = bz2.decompress((ROOT / "curate/builders/entity_cs/sample/enwiki-pages-articles-sample.xml.bz2").read_bytes())
    out = {}
    for name, packed, unpack in (("bz2", bz2.compress(raw, 9), bz2.decompress),
                                 ("gzip", gzip.compress(raw, 6), gzip.decompress)):
        times = []
        for _ in range(3):
            start = time.process_time()
            for _ in range(rounds):
                unpack(packed)
            times.append(time.process_time() - start)
        out[name] = rounds * len(raw) / 1e6 / statistics.median(times)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=40.0)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    from curate.builders.entity_cs.jsondump import dump_tables
    from curate.builders.entity_cs.recipe import ENTITYCS_LANGUAGES

    with tempfile.TemporaryDirectory() as tmp:
        plain, packed, n = make_dump(Path(tmp), args.mb)
        mb = plain.stat().st_size / 1e6
        print(f"dump: {n:,} entities, {mb:.1f} MB JSON, {packed.stat().st_size / 1e6:.2f} MB bz2 "
              f"(ratio {plain.stat().st_size / packed.stat().st_size:.0f}:1 on repeated copies; real dumps "
              "compress far less)")
        print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; CPU seconds of this process")
        langs = {"en", *ENTITYCS_LANGUAGES}
        runs: dict[str, list[float]] = {"json.loads": [], "dump_tables": [], "bz2 only": [], "dump_tables bz2": []}
        for _ in range(args.repeat):  # interleaved, so load changes hit every variant alike
            runs["json.loads"].append(timed(lambda: json_baseline(plain))[0])
            secs, (labels, titles) = timed(lambda: dump_tables(plain, langs))
            runs["dump_tables"].append(secs)
            runs["bz2 only"].append(timed(lambda: bz2_only(packed))[0])
            runs["dump_tables bz2"].append(timed(lambda: dump_tables(packed, langs))[0])
        med = {k: statistics.median(v) for k, v in runs.items()}
        for k, secs in med.items():
            print(f"{k:16s} median {secs:6.2f} s  {mb / secs:7.1f} MB/s of JSON  {n / secs:9,.0f} entities/s"
                  f"  (runs: {', '.join(f'{s:.2f}' for s in runs[k])})")
        print(f"dump_tables / json.loads time ratio: {med['dump_tables'] / med['json.loads']:.2f}x "
              f"(the reader's own cost on top of parsing)")
        print(f"kept per entity: {len(labels) / n:.0f} label rows ({len(langs)} languages), "
              f"{len(titles) / n:.0f} enwiki title")
        real = real_text_decompression()
        print("real text decompression (enwiki sample): " + ", ".join(f"{k} {v:.1f} MB/s" for k, v in real.items()))
        tracemalloc.start()
        labels, titles = dump_tables(plain, langs)
        held = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        print(f"python memory held by the tables: {held / 1e6:.1f} MB for {len(labels):,} label rows "
              f"+ {len(titles):,} titles = {held / max(1, len(labels)):.0f} bytes per label row")


if __name__ == "__main__":
    main()
