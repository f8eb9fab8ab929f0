"""Benchmark of the entity-cs builder: dump → records → Arrow shards, label table in memory.

Input: the real 3-page enwiki sample plus the synthetic entity page, repeated (fresh page ids) into a
multistream dump with at least --mb MB of wikitext; labels and enwiki titles come from a Wikidata JSON
dump made of the real label fixtures (the `--wikidata-dump` route: the label table is read once and kept
in memory). Reports sentences/s for 1 worker, the 1→2 worker speed-up (same run, a ratio), and the peak
RSS of single-process runs at 1/4 and all of the input (flat memory means the ratio stays near 1).

    .venv/bin/python scripts/bench_entitycs.py --mb 100
"""

from __future__ import annotations

import argparse
import bz2
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SAMPLE = ROOT / "curate/builders/entity_cs/sample"
SITELINKS = {"Q42": "Douglas Adams", "Q131261": "Oliver Kahn", "Q571": "Book", "Q2112": "Bielefeld"}


def make_inputs(folder: Path, mb: float) -> tuple[Path, Path, int]:
    from curate.builders.entity_cs.multistream import split_dump, write_multistream

    header, pages, footer = split_dump(bz2.decompress((SAMPLE / "enwiki-pages-articles-sample.xml.bz2").read_bytes()))
    synthetic = re.search(rb"<page>.*</page>", (SAMPLE / "synthetic-entity-page.xml").read_bytes(), re.S).group()
    pages = pages + [synthetic + b"\n"]
    per_copy = sum(len(m) for p in pages for m in re.findall(rb"<text[^>]*>(.*?)</text>", p, re.S))
    copies = int(mb * 1e6 / per_copy) + 1

    def renumbered():
        n = 0
        for _ in range(copies):
            for p in pages:
                n += 1
                yield re.sub(rb"<id>\d+</id>", f"<id>{n}</id>".encode(), p, count=1)

    dump = folder / f"enwiki-bench{mb:g}-pages-articles-multistream.xml.bz2"
    write_multistream(header, renumbered(), footer, dump, Path(str(dump)[: -len(".xml.bz2")] + "-index.txt.bz2"),
                      pages_per_stream=100)
    labels = json.loads((SAMPLE / "cassette/bodies/wbgetentities-labels.json").read_text())["entities"]
    wd = folder / "wikidata.json"
    wd.write_text("[\n" + ",\n".join(json.dumps({"type": "item", "id": q, "labels": e["labels"], "sitelinks": {
        "enwiki": {"site": "enwiki", "title": SITELINKS[q], "badges": []}}}) for q, e in sorted(labels.items()))
        + "\n]\n")
    return dump, wd, copies * per_copy


def cpu_seconds() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def build_once(dump: Path, wd: Path, out: Path, configs: list[str], workers: int) -> float:
    from curate.build import build
    from curate.builders.entity_cs import EntityCodeSwitch
    from curate.run import BuildOptions

    opts = BuildOptions(out_dir=out, workers=workers, cache_dir=out.parent / "cache", progress=False,
                        options={"dump": [str(dump)], "wikidata_dump": str(wd), "streams_per_unit": 2})
    start = time.perf_counter()
    build(EntityCodeSwitch(), configs, opts)
    return time.perf_counter() - start


def rows(out: Path, config: str) -> int:
    return json.loads((out / "manifest.json").read_text())["configs"][config]["splits"]["train"]["rows"]


def child(args: argparse.Namespace) -> None:
    """One build in this process; prints its wall time and peak RSS."""
    secs = build_once(Path(args.dump), Path(args.wd), Path(args.out), args.configs.split(","), 1)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": secs, "peak_rss_mb": peak}))


def run_child(dump: Path, wd: Path, out: Path, configs: str) -> dict:
    cmd = [sys.executable, __file__, "--child", "--dump", str(dump), "--wd", str(wd), "--out", str(out),
           "--configs", configs]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"child build failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=100.0, help="MB of wikitext in the benchmark dump")
    ap.add_argument("--configs", default="en,de")
    ap.add_argument("--child", action="store_true")
    ap.add_argument("--rss-only", action="store_true", help="only the peak-RSS comparison")
    ap.add_argument("--dump"), ap.add_argument("--wd"), ap.add_argument("--out")
    args = ap.parse_args()
    if args.child:
        return child(args)
    configs = args.configs.split(",")
    with tempfile.TemporaryDirectory(prefix="bench-entitycs-") as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        dump, wd, text_bytes = make_inputs(tmp, args.mb)
        small, _, small_bytes = make_inputs(tmp, args.mb / 4)
        print(f"input: {text_bytes / 1e6:.1f} MB wikitext, {dump.stat().st_size / 1e6:.1f} MB bz2 "
              f"(made in {time.perf_counter() - t0:.1f} s)")
        if args.rss_only:
            return rss(dump, small, wd, tmp, text_bytes, small_bytes)
        print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        c0 = cpu_seconds()
        t1 = build_once(dump, wd, tmp / "w1", configs, 1)
        c1 = cpu_seconds()
        t2 = build_once(dump, wd, tmp / "w2", configs, 2)
        print(f"load average after: {os.getloadavg()[0]:.1f} (a speed-up needs a second core that other jobs are "
              "not using)")
        sentences = rows(tmp / "w1", "en") if "en" in configs else 0
        print(f"configs {configs}: English sentences kept per config: {sentences:,}; "
              + ", ".join(f"{c}: {rows(tmp / 'w1', c):,} rows" for c in configs))
        # one parse of each dump unit serves every config (shared work units): count English sentences once
        print(f"1 worker : {t1:8.1f} s  {sentences / t1:10,.0f} English sentences/s on one core "
              f"(all {len(configs)} configs written); {c1 - c0:.1f} CPU s in this process → "
              f"{sentences / (c1 - c0):,.0f} sentences per CPU second")
        print(f"2 workers: {t2:8.1f} s  {sentences / t2:10,.0f} English sentences/s   speed-up 1→2: {t1 / t2:.2f}x")
        same = all((tmp / "w1" / c / "train").exists() and sorted(p.read_bytes() for p in (tmp / "w1" / c / "train").glob(
            "*.arrow")) == sorted(p.read_bytes() for p in (tmp / "w2" / c / "train").glob("*.arrow")) for c in configs)
        print(f"1 and 2 workers wrote identical shards: {same}")
        rss(dump, small, wd, tmp, text_bytes, small_bytes)


def rss(dump: Path, small: Path, wd: Path, tmp: Path, text_bytes: int, small_bytes: int) -> None:
    a = run_child(small, wd, tmp / "rss-small", "en")
    b = run_child(dump, wd, tmp / "rss-full", "en")
    print(f"peak RSS, one process, config en: {small_bytes / 1e6:.0f} MB input → {a['peak_rss_mb']:.0f} MB "
          f"({a['seconds']:.1f} s); {text_bytes / 1e6:.0f} MB input → {b['peak_rss_mb']:.0f} MB ({b['seconds']:.1f} s); "
          f"ratio {b['peak_rss_mb'] / a['peak_rss_mb']:.2f}")


if __name__ == "__main__":
    main()
