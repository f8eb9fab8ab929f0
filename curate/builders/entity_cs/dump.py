"""Streaming reader for MediaWiki `pages-articles` XML dumps (plain, bz2, or bz2 multistream ranges).

Pages are parsed with lxml's iterparse without entity expansion or network access, and each `<page>`
element is freed as soon as it is read, so memory stays flat whatever the dump size. A multistream
dump is a concatenation of independent bz2 streams of about 100 pages each; its index file
(`offset:page_id:title` per line) lets us split it into work units that decompress only their bytes.
"""

from __future__ import annotations

import bz2
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from lxml import etree

from curate.errors import InputFormatError


@dataclass(frozen=True)
class Page:
    page_id: int
    title: str
    ns: int
    revision_id: int
    text: str
    redirect: str | None  # target title of a redirect page


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int | None  # None: to the end of the file


class _MultistreamRange(io.RawIOBase):
    """The XML of the bz2 streams in [start, end), wrapped in one `<mediawiki>` root element."""

    def __init__(self, path: Path, rng: ByteRange, chunk: int = 1 << 20):
        self.path, self.fh, self.chunk = path, open(path, "rb"), chunk
        self.fh.seek(rng.start)
        self.remaining = None if rng.end is None else rng.end - rng.start
        self.buf = bytearray(b"<mediawiki>")
        self.pending = bytearray()  # decompressed bytes not yet checked for the root element
        self.decomp: bz2.BZ2Decompressor | None = None
        self.done = False

    def readable(self) -> bool:
        return True

    def _raw(self) -> bytes:
        n = self.chunk if self.remaining is None else min(self.chunk, self.remaining)
        data = self.fh.read(n) if n else b""
        if self.remaining is not None:
            self.remaining -= len(data)
        return data

    def _fill(self) -> None:
        data = self._raw()
        if not data:
            if self.decomp is not None and not self.decomp.eof:
                raise EOFError("compressed file ended before the end-of-stream marker was reached")
            self.buf += bytes(self.pending).replace(b"</mediawiki>", b"") + b"</mediawiki>"
            self.pending.clear()
            self.done = True
            return
        while data:
            if self.decomp is None or self.decomp.eof:
                self.decomp = bz2.BZ2Decompressor()
            self.pending += self.decomp.decompress(data)
            data = self.decomp.unused_data if self.decomp.eof else b""
        if b"<mediawiki" in self.pending:  # the header stream: drop `<mediawiki …><siteinfo>…</siteinfo>`
            end = self.pending.find(b"</siteinfo>")
            if end < 0:
                return  # the header is small: wait for all of it
            del self.pending[:end + len(b"</siteinfo>")]
        # keep a short tail back so a `</mediawiki>` split across two reads is still recognised
        if b"</mediawiki>" in self.pending:
            self.pending = bytearray(bytes(self.pending).replace(b"</mediawiki>", b""))
        cut = max(0, len(self.pending) - 16)
        self.buf += self.pending[:cut]
        del self.pending[:cut]

    def readinto(self, b) -> int:  # type: ignore[override]
        while not self.buf and not self.done:
            self._fill()
        n = min(len(b), len(self.buf))
        b[:n] = self.buf[:n]
        del self.buf[:n]
        return n

    def close(self) -> None:
        self.fh.close()
        super().close()


def _open(path: Path, rng: ByteRange | None) -> BinaryIO:
    if rng is not None:
        return io.BufferedReader(_MultistreamRange(path, rng))
    if path.suffix == ".bz2":
        return bz2.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _text(el: etree._Element) -> str:
    """All text of a leaf element. Entities are never expanded: an entity reference stays as written
    (`&name;`) and the text after it, which lxml keeps in the reference's tail, is not lost."""
    if len(el) == 0:
        return el.text or ""
    return "".join([el.text or "", *((c.text or "") + (c.tail or "") for c in el if c.tag is etree.Entity)])


def _page(elem: etree._Element) -> Page:
    fields: dict[str, str] = {}
    redirect = None
    best: tuple[str, int, str] | None = None  # (timestamp, revision id, text) of the latest revision
    for child in elem:
        name = _local(child.tag)
        if name == "redirect":
            redirect = child.get("title")
        elif name == "revision":
            rev = {_local(c.tag): c for c in child}
            ts = _text(rev["timestamp"]) if "timestamp" in rev else ""
            text = _text(rev["text"]) if "text" in rev else ""
            rid = _int(_text(rev["id"]), "revision id", elem) if "id" in rev else 0
            if best is None or ts >= best[0]:
                best = (ts, rid, text)
        elif name:
            fields[name] = _text(child)
    ns = _int(fields.get("ns", "0") or "0", "ns", elem)
    _, rid, text = best if best is not None else ("", 0, "")
    return Page(_int(fields.get("id", "0"), "id", elem), fields.get("title", ""), ns, rid, text, redirect)


class _BadPage(ValueError):
    def __init__(self, line: int | None, message: str):
        super().__init__(message)
        self.line = line


def _int(value: str, what: str, page: etree._Element) -> int:
    try:
        return int(value)
    except ValueError:
        title = next((c.text for c in page if _local(c.tag) == "title"), None)
        raise _BadPage(page.sourceline, f"page {title!r}: {what} {value!r} is not an integer") from None


def iter_pages(path: str | Path, rng: ByteRange | None = None) -> Iterator[Page]:
    """Every page of a dump (or of one multistream byte range), in file order, latest revision only."""
    path = Path(path)
    fh = _open(path, rng)
    where = f"{path}" + (f" (bytes {rng.start}-{rng.end if rng.end is not None else 'end'})" if rng else "")
    last_id = None
    try:
        for _, elem in etree.iterparse(fh, events=("end",), tag="{*}page", resolve_entities=False,
                                       no_network=True, huge_tree=True, load_dtd=False):
            page = _page(elem)
            last_id = page.page_id
            elem.clear()
            parent = elem.getparent()
            while parent is not None and elem.getprevious() is not None:
                del parent[0]
            yield page
    except (EOFError, OSError) as e:
        after = f" after page id {last_id}" if last_id is not None else " before the first page"
        raise InputFormatError(where, None, f"truncated or corrupt bz2 data{after}: {e}") from e
    except etree.XMLSyntaxError as e:
        raise InputFormatError(where, e.lineno or None, f"malformed XML: {e.msg}") from e
    except _BadPage as e:
        raise InputFormatError(where, e.line, str(e)) from None
    finally:
        fh.close()


def read_multistream_index(index_path: str | Path) -> list[int]:
    """Distinct stream offsets, in file order, from a `*-multistream-index.txt[.bz2]` file."""
    index_path = Path(index_path)
    opener = bz2.open if index_path.suffix == ".bz2" else open
    offsets: list[int] = []
    with opener(index_path, "rt", encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            head = line.split(":", 1)[0]
            if not head.strip():
                continue
            if not head.isdigit():
                raise InputFormatError(index_path, lineno, f"expected 'offset:page_id:title', got {line[:80]!r}")
            off = int(head)
            if not offsets or offsets[-1] != off:
                offsets.append(off)
    return offsets


def multistream_ranges(offsets: list[int], streams_per_unit: int) -> list[ByteRange]:
    """Consecutive groups of streams; the last range runs to the end of the file."""
    starts = offsets[::streams_per_unit]
    return [ByteRange(s, starts[i + 1] if i + 1 < len(starts) else None) for i, s in enumerate(starts)]
