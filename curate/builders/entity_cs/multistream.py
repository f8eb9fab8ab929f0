"""Writes a pages-articles dump in Wikimedia's multistream layout (for tests and benchmarks).

Layout, as on dumps.wikimedia.org: one bz2 stream with the `<mediawiki><siteinfo>` header, then
streams of `pages_per_stream` pages, then one stream with `</mediawiki>`; the index file lists
`offset:page_id:title` for every page, the offset being where its stream starts.
"""

from __future__ import annotations

import bz2
import re
from collections.abc import Iterable
from pathlib import Path

_PAGE = re.compile(rb"<page>.*?</page>", re.S)
_ID = re.compile(rb"<id>(\d+)</id>")
_TITLE = re.compile(rb"<title>(.*?)</title>", re.S)


def split_dump(xml: bytes) -> tuple[bytes, list[bytes], bytes]:
    """(header through `</siteinfo>`, page elements, footer) of an uncompressed dump."""
    pages = _PAGE.findall(xml)
    head_end = xml.index(b"</siteinfo>") + len(b"</siteinfo>")
    return xml[:head_end] + b"\n", [p + b"\n" for p in pages], b"</mediawiki>\n"


def write_multistream(header: bytes, pages: Iterable[bytes], footer: bytes, out: Path, index: Path,
                      pages_per_stream: int = 100) -> int:
    """Writes `out` (…-multistream.xml.bz2) and `index` (…-multistream-index.txt.bz2); returns the stream count."""
    streams = 0
    with open(out, "wb") as fh, bz2.open(index, "wt", encoding="utf-8") as ix:
        fh.write(bz2.compress(header))
        batch: list[bytes] = []

        def flush() -> None:
            nonlocal streams
            offset = fh.tell()
            for page in batch:
                pid = _ID.search(page)
                title = _TITLE.search(page)
                ix.write(f"{offset}:{pid.group(1).decode() if pid else 0}:"
                         f"{title.group(1).decode() if title else ''}\n")
            fh.write(bz2.compress(b"".join(batch)))
            streams += 1
            batch.clear()

        for page in pages:
            batch.append(page)
            if len(batch) >= pages_per_stream:
                flush()
        if batch:
            flush()
        fh.write(bz2.compress(footer))
    return streams
