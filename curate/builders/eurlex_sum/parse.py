"""EUR-Lex HTML of every generation → an ordered list of typed blocks with stable ids.

Generations seen in the wild (samples in shared/data/eurlex/act_html_eras): legacy LexUriServ
(`div#TexteOnly`, `<TXT_TE>`, plain `<p>`), consolidated texts (fmx2xhtml, `p.norm`, ►/▼ markers),
OJ 2013 CONVEX (`p.doc-ti`, `p.ti-art`), 2016+ and 2024 ELI XHTML (`p.oj-*`, `div.eli-subdivision#art_N`)
and the LEGISSUM summary page (`section#lseu-section-*`). One walker (`walk.py`) serves all of them.
Parsing uses lxml's HTML parser, which never expands external entities or touches the network. Pages
are parsed whole up to libxml2's largest nesting depth (`huge_tree`: 2,048 levels instead of 256);
a page nested deeper is an error naming its URL, never a silently shortened document.
"""

from __future__ import annotations

import re

from lxml import etree, html

from curate.builders.eurlex_sum.walk import Block, Walker
from curate.errors import InputFormatError

__all__ = ["Block", "blocks_text", "content_root", "html_to_blocks", "mark_legacy_footnotes", "parse_document"]

CONTENT_ROOT_IDS = ("TexteOnly", "document1", "textTabContent", "PP4Contents")


def parse_document(content: bytes | str, url: str = "<page>") -> etree._Element:
    """Parse one page with lxml's HTML parser (no entity expansion, no network).

    Raises InputFormatError naming the URL when the page is empty, visibly cut off or nested deeper
    than the parser can follow (libxml2 would otherwise stop there and drop the rest of the page).
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
    parser = html.HTMLParser(encoding=encoding, remove_comments=True, remove_pis=True, no_network=True,
                             huge_tree=True)
    root = html.document_fromstring(raw, parser=parser)
    for error in parser.error_log:
        # the HTML parser recovers from everything else; a resource limit means it stopped reading
        if error.type == etree.ErrorTypes.ERR_RESOURCE_LIMIT:
            raise InputFormatError(url, error.line, f"page is nested deeper than the HTML parser follows "
                                   f"({error.message.strip()}); the rest of the page would be lost")
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


def html_to_blocks(content: bytes | str, url: str = "<page>") -> list[Block]:
    """Parse and clean one EUR-Lex page (any generation) into ordered blocks.

    Raises InputFormatError (naming the URL) for empty, truncated or text-less pages.
    """
    root = parse_document(content, url)
    top = content_root(root)
    _drop_consolidated_cover(top)
    walker = Walker()
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
