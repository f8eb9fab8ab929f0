"""EUR-Lex HTML of every generation → an ordered list of typed blocks with stable ids.

Generations seen in the wild (samples in shared/data/eurlex/act_html_eras): legacy LexUriServ
(`div#TexteOnly`, `<TXT_TE>`, plain `<p>`), consolidated texts (fmx2xhtml, `p.norm`, ►/▼ markers),
OJ 2013 CONVEX (`p.doc-ti`, `p.ti-art`), 2016+ and 2024 ELI XHTML (`p.oj-*`, `div.eli-subdivision#art_N`)
and the LEGISSUM summary page (`section#lseu-section-*`). One walker serves all of them: block
elements flush the inline text gathered so far; the block type comes from class names (both the
plain and the `oj-` spelling) or, for legacy markup without classes, from the text ("Article 5").
Parsing uses lxml's HTML parser, which never expands external entities or touches the network.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree, html

from builders.eurlex_sum.clean import is_clutter, is_dropped_line, is_navigation_text, normalise_text, strip_markers
from curate.errors import InputFormatError

BLOCK_TAGS = frozenset("p div section article li dt dd h1 h2 h3 h4 h5 h6 blockquote pre caption header ul ol dl table tbody thead tfoot body".split())
HEADING_CLASSES = frozenset(
    "doc-ti ti-section-1 ti-section-2 ti-grseq-1 sti-art title-doc-first title-doc-last title-division-1 "
    "title-division-2 title-gr-seq-level-1 title-gr-seq-level-2 title-gr-seq-level-3 title-toc".split()
)
ARTICLE_CLASSES = frozenset("ti-art title-article-norm".split())
ANNEX_CLASSES = frozenset("title-annex-1 title-annex-2".split())
FOOTNOTE_CLASSES = frozenset("note footnote".split())
CONTENT_ROOT_IDS = ("TexteOnly", "document1", "textTabContent", "PP4Contents")
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


@dataclass(frozen=True)
class Block:
    id: str
    type: str  # title, heading, article, paragraph, list_item, table_row, annex, footnote
    text: str

    def as_dict(self) -> dict[str, str]:
        return {"id": self.id, "type": self.type, "text": self.text}


def parse_document(content: bytes | str, url: str = "<page>") -> etree._Element:
    """Parse one page with lxml's HTML parser (no entity expansion, no network).

    Raises InputFormatError naming the URL when the page is empty or visibly cut off.
    """
    raw = content.encode("utf-8") if isinstance(content, str) else content
    if not raw.strip():
        raise InputFormatError(url, None, "empty page")
    tail = raw[-2048:].lower()
    if b"</html>" not in tail and b"</body>" not in tail:
        raise InputFormatError(url, None, "truncated HTML: no closing </body> or </html> at the end of the page")
    encoding = "utf-8"
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        encoding = "cp1252"  # very old pages; utf-8 is declared everywhere else
    parser = html.HTMLParser(encoding=encoding, remove_comments=True, remove_pis=True, no_network=True)
    root = html.document_fromstring(raw, parser=parser)
    if root is None:
        raise InputFormatError(url, None, "no HTML document found")
    return root


def content_root(root: etree._Element) -> etree._Element:
    """The element holding the document text: `div#TexteOnly` and friends when present, else <body>."""
    for el_id in CONTENT_ROOT_IDS:
        found = root.xpath(f"//*[@id='{el_id}']")
        if found:
            return found[0]
    body = root.find("body")
    return body if body is not None else root


class _Walker:
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
    def walk(self, el: etree._Element, kind: str) -> None:
        tag = el.tag
        if not isinstance(tag, str):  # comments and processing instructions
            self._tail(el)
            return
        tag = tag.lower().rpartition("}")[2]
        attrib = el.attrib
        if is_clutter(tag, attrib):
            self._tail(el)
            return
        if tag == "br":
            self.buffer.append(" ")
            self._tail(el)
            return
        if tag == "tr":
            self.flush(kind)
            self._row(el, kind)
            self._tail(el)
            return
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
            return
        if el.text:
            self.buffer.append(el.text)
        for child in el:
            self.walk(child, kind)
        if block:
            self.flush(kind)
            if saved is not None:
                self.anchor, self.counter = saved
        self._tail(el)

    def _tail(self, el: etree._Element) -> None:
        if el.tail:
            self.buffer.append(el.tail)

    def _row(self, tr: etree._Element, kind: str) -> None:
        """A table row → one block of tab-separated cells; nested tables follow as their own rows."""
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
        for table in nested:
            self.walk_children(table, kind)

    def walk_children(self, el: etree._Element, kind: str) -> None:
        for child in el:
            self.walk(child, kind)
        self.flush(kind)


def _outer_tables(el: etree._Element) -> list[etree._Element]:
    """Tables inside a cell that are not themselves inside another table of that cell."""
    found = []
    for child in el:
        if child.tag == "table":
            found.append(child)
        elif isinstance(child.tag, str):
            found.extend(_outer_tables(child))
    return found


def _cell_texts(cell: etree._Element):
    """Text of a cell without its nested tables and clutter, in document order."""
    if cell.text:
        yield cell.text
    for child in cell:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag == "table" or (tag and is_clutter(tag.lower(), child.attrib)):
            pass
        elif tag == "a" and child.text and is_navigation_text(child.text) and len(child) == 0:
            pass
        else:
            yield from _cell_texts(child)
        if child.tail:
            yield child.tail


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


def html_to_blocks(content: bytes | str, url: str = "<page>") -> list[Block]:
    """Parse and clean one EUR-Lex page (any generation) into ordered blocks.

    Raises InputFormatError (naming the URL) for empty, truncated or text-less pages.
    """
    root = parse_document(content, url)
    top = content_root(root)
    _drop_consolidated_cover(top)
    walker = _Walker()
    walker.walk(top, "paragraph")
    walker.flush("paragraph")
    if not walker.blocks:
        raise InputFormatError(url, None, "no text blocks found (scanned image or unknown markup)")
    return mark_legacy_footnotes(walker.blocks)


def _drop_consolidated_cover(top: etree._Element) -> None:
    """Consolidated texts open with a cover (reference line, disclaimer, title and amendment
    tables); the document proper starts at the first ▼ marker, so everything before it goes."""
    markers = top.xpath(".//a[starts-with(normalize-space(text()), '▼')]")
    if not markers:
        return
    node = markers[0]
    while node is not top and node.getparent() is not None:
        parent = node.getparent()
        for sibling in list(node.itersiblings(preceding=True)):
            parent.remove(sibling)
        parent.text = None
        node = parent


_NOTE_START = re.compile(r"^\((\d+)\)\s")


def mark_legacy_footnotes(blocks: list[Block]) -> list[Block]:
    """Legacy pages have no footnote markup: their notes are a run "(1) OJ ...", "(2) ..." after
    the articles, each referenced earlier as "Commission(1)". Such runs become `footnote` blocks."""
    if any(b.type == "footnote" for b in blocks):
        return blocks
    first_article = next((i for i, b in enumerate(blocks) if b.type == "article"), None)
    if first_article is None:
        return blocks
    out = list(blocks)
    body = "\n".join(b.text for b in blocks[:first_article + 1])
    i = first_article + 1
    while i < len(out):
        m = _NOTE_START.match(out[i].text)
        if m and m.group(1) == "1":
            j, expected = i, 1
            while j < len(out):
                mj = _NOTE_START.match(out[j].text)
                if not mj or int(mj.group(1)) != expected:
                    break
                j, expected = j + 1, expected + 1
            earlier = body + "\n".join(b.text for b in out[first_article:i])
            if re.search(r"\w\(1\)", earlier):
                for k in range(i, j):
                    out[k] = Block(out[k].id, "footnote", out[k].text)
            i = j
        else:
            i += 1
    return out


def blocks_text(blocks: list[Block]) -> str:
    """The plain text of a document: one block per line (table cells stay tab-separated)."""
    return "\n".join(b.text for b in blocks)
