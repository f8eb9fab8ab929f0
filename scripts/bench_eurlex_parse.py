"""Benchmark: eurlex-sum parse + clean (typed blocks) vs BeautifulSoup get_text() on the same real pages.

    .venv/bin/python scripts/bench_eurlex_parse.py [--repeat 20] [--data ../shared/data/eurlex]

The baseline is what the original EUR-Lex-Sum did: `BeautifulSoup(html).text` of the whole page (bs4
picks the lxml tree builder when lxml is installed, as here). Prints pages/s, MB/s and the ratio.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

from curate.builders.eurlex_sum.parse import html_to_blocks

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "eurlex"


def _time(fn, pages: list[bytes], repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        for page in pages:
            fn(page)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = ap.parse_args()
    from bs4 import BeautifulSoup, XMLParsedAsHTMLWarning

    warnings.filterwarnings("ignore", category=XMLParsedAsHTMLWarning)
    files = sorted([*args.data.glob("act_html_eras/*"), *args.data.glob("set_32004R0261_en/*.html")])
    pages = [f.read_bytes() for f in files]
    mb = sum(map(len, pages)) * args.repeat / 1e6
    n = len(pages) * args.repeat
    ours = _time(html_to_blocks, pages, args.repeat)
    base = _time(lambda p: BeautifulSoup(p, "lxml").get_text(), pages, args.repeat)
    print(f"{len(pages)} real pages ({sum(map(len, pages)) / 1e3:.0f} kB) x {args.repeat}")
    print(f"eurlex-sum parse+clean : {n / ours:8.1f} pages/s {mb / ours:6.2f} MB/s ({ours:.3f} s)")
    print(f"bs4 get_text (lxml)    : {n / base:8.1f} pages/s {mb / base:6.2f} MB/s ({base:.3f} s)")
    print(f"ratio (ours / get_text): {base / ours:.2f}x")


if __name__ == "__main__":
    main()
