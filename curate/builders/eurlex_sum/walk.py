"""The block walker behind `parse.html_to_blocks`: one pass over the tree in document order.

Block elements flush the inline text gathered so far; the block type comes from class names (both the
plain and the `oj-` spelling) or, for legacy markup without classes, from the text ("Article 5").
The walk keeps an explicit stack of frames rather than recursing: broken legacy markup can nest a few thousand
elements deep, which Python's recursion limit (1,000 frames) would not survive.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

from curate.builders.eurlex_sum.clean import (
    is_clutter,
    is_dropped_line,
    is_navigation_text,
    normalise_text,
    strip_markers,
)

BLOCK_TAGS = frozenset("p div section article li dt dd h1 h2 h3 h4 h5 h6 blockquote pre caption header ul ol dl table tbody thead tfoot body".split())
HEADING_CLASSES = frozenset(
    "doc-ti ti-section-1 ti-section-2 ti-grseq-1 sti-art title-doc-first title-doc-last title-division-1 "
    "title-division-2 title-gr-seq-level-1 title-gr-seq-level-2 title-gr-seq-level-3 title-toc".split()
)
ARTICLE_CLASSES = frozenset("ti-art title-article-norm".split())
ANNEX_CLASSES = frozenset("title-annex-1 title-annex-2".split())
FOOTNOTE_CLASSES = frozenset("note footnote".split())
# "Article 5" in the 24 official languages, number before or after the word (lt, lv, fi, hu).
ARTICLE_LINE = re.compile(
    r"^(?:(?:Article|Artikel|Articolo|Artículo|Artigo|Articolul|Άρθρο|Член|Článek|Článok|Člen|Članak|Artykuł|"
    r"Artikkel|Artikolu|Airteagal)\s+(\d+[a-z]?)|(\d+[a-z]?)\.?\s+(?:straipsnis|pants|artikla|cikk))\s*$",
    re.I,
)
ANNEX_LINE = re.compile(
    r"^(?:ANNEX|ANHANG|ANNEXE|ALLEGATO|ANEXO|ANEXA|BILAG|BIJLAGE|BILAGA|LIITE|LISA|PRIEDAS|PIELIKUMS|MELLÉKLET|"
    r"ZAŁĄCZNIK|PŘÍLOHA|PRÍLOHA|PRILOGA|PRILOG|ПРИЛОЖЕНИЕ|ΠΑΡΑΡΤΗΜΑ|ANNESS|IARSCRÍBHINN)\b(?:\s+[IVXLC\d]+[A-Z]?)?$"
)
NUMBERED_CELL = re.compile(r"^(?:\(?[0-9a-zivxl]{1,5}[.)]|\([0-9a-z]{1,5}\)|[—–\-•])$", re.I)
ELI_ANCHOR = re.compile(r"^(?:art|anx|rct|cpt|tit|sct|pbl|fnp|cit|enc|lseu-section)[-_]")

_FLUSH = object()  # in a frame's children: flush the text gathered so far (after each nested table)


@dataclass(frozen=True)
class Block:
    id: str
    type: str  # title, heading, article, paragraph, list_item, table_row, annex, footnote
    text: str

    def as_dict(self) -> dict[str, str]:
        return {"id": self.id, "type": self.type, "text": self.text}


class Walker:
    """Walks the tree in document order, gathering inline text and flushing it as blocks."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.buffer: list[str] = []
        self.anchor = "doc"
        self.counter = 0
        self.used: set[str] = set()

    # -- ids ------------------------------------------------------------------------------------
    def set_anchor(self, anchor: str) -> None:
        base, n = anchor, 2
        while anchor in self.used:
            anchor = f"{base}~{n}"
            n += 1
        self.used.add(anchor)
        self.anchor, self.counter = anchor, 0

    def emit(self, kind: str, text: str, clean: bool = False) -> None:
        if not clean:  # table rows arrive with each cell already normalised (and tabs between cells)
            text = normalise_text(strip_markers(text))
        if not text or is_dropped_line(text):
            return
        if kind == "paragraph":
            m = ARTICLE_LINE.match(text)
            if m:
                kind = "article"
                self.set_anchor(f"art_{(m.group(1) or m.group(2)).lower()}")
            elif ANNEX_LINE.match(text):
                kind = "annex"
                self.set_anchor("anx")
        self.counter += 1
        self.blocks.append(Block(f"{self.anchor}.{self.counter}", kind, text))

    def flush(self, kind: str) -> None:
        if self.buffer:
            text = "".join(self.buffer)
            self.buffer.clear()
            self.emit(kind, text)

    # -- walk -----------------------------------------------------------------------------------
    def walk(self, top: etree._Element, kind: str) -> None:
        """Visit `top` and its subtree. A frame is [children iterator, element, kind, is block, saved anchor]."""
        frames: list[list] = []
        push, open_, buffer = frames.append, self._open, self.buffer  # hot loop: one step per element
        frame = open_(top, kind)
        if frame is not None:
            push(frame)
        while frames:
            frame = frames[-1]
            child = next(frame[0], None)
            if child is None:  # the element is complete
                frames.pop()
                _, el, kind, block, saved = frame
                if block:
                    self.flush(kind)
                    if saved is not None:
                        self.anchor, self.counter = saved
                if el.tail:
                    buffer.append(el.tail)
            elif child is _FLUSH:
                self.flush(frame[2])
            else:
                opened = open_(child, frame[2])
                if opened is not None:
                    push(opened)

    def _open(self, el: etree._Element, kind: str) -> list | None:
        """Start an element: its own text now, a frame for its children (None when it is skipped whole)."""
        tag = el.tag
        if not isinstance(tag, str):  # comments and processing instructions
            self._tail(el)
            return None
        tag = tag.lower().rpartition("}")[2]
        attrib = el.attrib
        if is_clutter(tag, attrib):
            self._tail(el)
            return None
        if tag == "br":
            self.buffer.append(" ")
            self._tail(el)
            return None
        if tag == "tr":
            self.flush(kind)
            nested = self._row(el, kind)
            # nested tables follow the row as their own rows, each ending in a flush
            return [_nested_children(nested), el, kind, False, None]
        block = tag in BLOCK_TAGS
        saved = None
        if block:
            self.flush(kind)
            el_id = attrib.get("id")
            if el_id and ELI_ANCHOR.match(el_id):
                saved = (self.anchor, self.counter)  # ids inside art_5.tit_1 go back to art_5 after it
                self.set_anchor(el_id)
            kind = _block_kind(tag, attrib.get("class"), kind)
        elif tag == "a" and el.text and is_navigation_text(el.text) and len(el) == 0:
            self._tail(el)
            return None
        if el.text:
            self.buffer.append(el.text)
        if len(el):
            return [iter(el), el, kind, block, saved]
        if block:  # a leaf closes at once (most elements): no frame needed
            self.flush(kind)
            if saved is not None:
                self.anchor, self.counter = saved
        self._tail(el)
        return None

    def _tail(self, el: etree._Element) -> None:
        if el.tail:
            self.buffer.append(el.tail)

    def _row(self, tr: etree._Element, kind: str) -> list[etree._Element]:
        """A table row → one block of tab-separated cells; returns the nested tables, walked after it."""
        cells, nested = [], []
        for cell in tr:
            if not isinstance(cell.tag, str) or cell.tag.lower() not in ("td", "th"):
                continue
            nested.extend(_outer_tables(cell))
            parts = list(_cell_texts(cell))
            cells.append(normalise_text(strip_markers(" ".join(parts))))
        filled = [c for c in cells if c and not is_dropped_line(c)]
        if filled:
            if len(filled) == 2 and NUMBERED_CELL.match(filled[0]):
                self.emit("list_item", f"{filled[0]} {filled[1]}")  # OJ layout table for "(1) text"
            elif kind in ("footnote", "heading", "annex"):
                self.emit(kind, " ".join(filled))
            else:
                self.emit("table_row", "\t".join(filled), clean=True)
        return nested


def _nested_children(tables: list[etree._Element]) -> Iterator:
    for table in tables:
        yield from table
        yield _FLUSH


def _outer_tables(el: etree._Element) -> list[etree._Element]:
    """Tables inside a cell that are not themselves inside another table of that cell, in document order."""
    found, stack = [], list(reversed(el))
    while stack:
        child = stack.pop()
        if child.tag == "table":
            found.append(child)
        elif isinstance(child.tag, str):
            stack.extend(reversed(child))
    return found


def _cell_texts(cell: etree._Element) -> Iterator[str]:
    """Text of a cell without its nested tables and clutter, in document order."""
    stack: list = list(reversed(cell))  # elements to open, and strings (tails) to give out
    if cell.text:
        yield cell.text
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
            continue
        if item.tail:
            stack.append(item.tail)
        tag = item.tag if isinstance(item.tag, str) else ""
        if tag == "table" or (tag and is_clutter(tag.lower(), item.attrib)):
            continue
        if tag == "a" and item.text and is_navigation_text(item.text) and len(item) == 0:
            continue
        stack.extend(reversed(item))
        if item.text:
            yield item.text


def _block_kind(tag: str, cls: str | None, inherited: str) -> str:
    if cls:
        names = {c[3:] if c.startswith("oj-") else c for c in cls.split()}
        if not names.isdisjoint(FOOTNOTE_CLASSES):
            return "footnote"
        if not names.isdisjoint(ARTICLE_CLASSES):
            return "article"
        if not names.isdisjoint(ANNEX_CLASSES):
            return "annex"
        if not names.isdisjoint(HEADING_CLASSES):
            return "heading"
    if tag == "h1":
        return "title"
    if tag in ("h2", "h3", "h4", "h5", "h6"):
        return "heading"
    if tag in ("li", "dd"):
        return "list_item"
    if inherited in ("footnote", "list_item"):
        return inherited
    return "paragraph"
