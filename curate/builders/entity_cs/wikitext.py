"""Wikitext → plain sentences that keep their wikilinks as explicit character spans.

Instead of carrying `[[target|anchor]]` strings through sentence splitting and repairing broken
brackets afterwards (what EntityCS did), each paragraph becomes plain text plus a list of `Link`
spans; the sentence splitter never cuts inside a span. Templates, tables, references, comments,
File/Image/Category links and interlanguage links are removed before that.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Links into these namespaces are never entities; a target starting with ":" (`[[:Category:X]]`) is a
# visible namespace link and also not an entity. Interlanguage links (`[[de:Baum]]`) are dropped.
DROP_NAMESPACES = {"file", "image", "media", "category"}
OTHER_NAMESPACES = {
    "wikipedia", "wp", "project", "template", "help", "portal", "special", "user", "user talk", "talk",
    "draft", "module", "mediawiki", "book", "timedtext", "wikt", "wiktionary", "wikisource", "wikiquote",
    "wikibooks", "wikinews", "wikivoyage", "commons", "meta", "species", "s", "q", "n", "b", "v", "d", "w",
}
_INTERLANG = re.compile(r"^[a-z]{2,3}(-[a-z]+)*$")

_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.S)
# Tags whose whole content is dropped (references, maths, galleries, code).
_DROP_ELEMENTS = re.compile(
    r"<(ref|math|gallery|timeline|score|syntaxhighlight|source|pre|chem|hiero|graph|mapframe|imagemap|table)"
    r"\b[^>]*?(?:/>|>.*?</\1\s*>)", re.S | re.I)
_SELF_CLOSING_REF = re.compile(r"<ref\b[^>]*/>", re.I)
_TAG = re.compile(r"</?[a-zA-Z][^<>]*?/?>")
_BRACES = re.compile(r"\{\{|\}\}")
_TABLE_LINE = re.compile(r"^[ \t]*(\{\||\|\})", re.M)
_EXT_LINK = re.compile(r"\[(?:https?:)?//[^\s\]]+(?:\s+([^\]]*))?\]")
_BOLD_ITALIC = re.compile(r"'{2,}")
_MAGIC = re.compile(r"__[A-Z]+__")
_LINK_OPEN_CLOSE = re.compile(r"\[\[|\]\]")


@dataclass(frozen=True)
class Link:
    start: int  # character offsets into the paragraph/sentence plain text
    end: int
    target: str  # title as written (underscores become spaces, section dropped)
    anchor: str  # the visible text, trail included when trail_in_anchor


@dataclass(frozen=True)
class Paragraph:
    text: str
    links: tuple[Link, ...]


def remove_nested(text: str, pattern: re.Pattern, opener: str) -> str:
    """Drop balanced `{{…}}`-style spans in one linear pass (templates nest; regexes cannot)."""
    out, depth, last = [], 0, 0
    for m in pattern.finditer(text):
        if m.group() == opener:
            if depth == 0:
                out.append(text[last:m.start()])
            depth += 1
        elif depth:
            depth -= 1
            if depth == 0:
                last = m.end()
    if depth:  # an unclosed template swallows the rest of the page: nothing after it is clean prose
        return "".join(out)
    out.append(text[last:])
    return "".join(out)


def remove_tables(text: str) -> str:
    """Drop `{| … |}` tables, nested ones included, line by line."""
    if "{|" not in text:
        return text
    out, depth = [], 0
    for line in text.split("\n"):
        m = _TABLE_LINE.match(line)
        if m and m.group(1) == "{|":
            depth += 1
        elif m and depth:
            depth -= 1
            continue
        if depth == 0:
            out.append(line)
    return "\n".join(out)


def namespace_of(target: str) -> str | None:
    if ":" not in target:
        return None
    return target.split(":", 1)[0].strip().lower()


def remove_dropped_links(text: str) -> str:
    """Remove File/Image/Category/interlanguage links with their (possibly link-bearing) captions."""
    if "[[" not in text:
        return text
    out, stack, last = [], [], 0
    for m in _LINK_OPEN_CLOSE.finditer(text):
        if m.group() == "[[":
            stack.append(m.start())
        elif stack:
            start = stack.pop()
            if stack or start < last:
                continue  # only top-level links are judged here
            inner = text[start + 2:m.start()]
            ns = namespace_of(inner.split("|", 1)[0])
            if ns is not None and (ns in DROP_NAMESPACES or (_INTERLANG.match(ns) and ns not in OTHER_NAMESPACES)):
                out.append(text[last:start])
                last = m.end()
    out.append(text[last:])
    return "".join(out)


def clean_wikitext(text: str) -> str:
    """Everything but prose and links removed; paragraphs stay separated by newlines."""
    text = _COMMENT.sub("", text)
    text = _DROP_ELEMENTS.sub("", text)
    text = _SELF_CLOSING_REF.sub("", text)
    text = remove_nested(text, _BRACES, "{{")
    text = remove_tables(text)
    text = remove_dropped_links(text)
    text = _TAG.sub("", text)
    text = _EXT_LINK.sub(lambda m: m.group(1) or "", text)
    text = _BOLD_ITALIC.sub("", text)
    return _MAGIC.sub("", text)
