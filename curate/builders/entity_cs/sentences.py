"""Cleaned wikitext → paragraphs with link spans → sentences that never split inside a link."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

from curate.builders.entity_cs.wikitext import OTHER_NAMESPACES, Link, Paragraph, clean_wikitext, namespace_of

_LINK = re.compile(r"\[\[(.*?)\]\]", re.S)
_SPACES = re.compile(r"\s+")
# A boundary: end punctuation, optional closing quotes/brackets, whitespace, then an opening that can
# start a sentence. Abbreviations and initials are rejected afterwards.
_BOUNDARY = re.compile(r"[.!?][\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])")
_ABBREVIATIONS = {
    "e.g.", "i.e.", "mr.", "mrs.", "ms.", "dr.", "prof.", "st.", "vs.", "no.", "nos.", "jr.", "sr.", "mt.",
    "ft.", "gen.", "col.", "lt.", "sgt.", "rev.", "gov.", "sen.", "rep.", "inc.", "co.", "corp.", "ltd.",
    "fig.", "vol.", "pp.", "p.", "c.", "ca.", "approx.", "u.s.", "u.k.", "a.d.", "b.c.", "jan.", "feb.",
    "mar.", "apr.", "jun.", "jul.", "aug.", "sep.", "sept.", "oct.", "nov.", "dec.",
}
_SKIP_LINE_START = ("=", "|", "!", "{", "}", "#redirect", "#REDIRECT")
_LIST_START = ("*", "#", ":", ";")


def _is_entity_link(target: str, has_pipe: bool) -> bool:
    """EntityCS's `is_normal_hyperlink`: no pipe, or one pipe and neither '#' nor ':' in the target."""
    if target.startswith(":"):
        return False
    ns = namespace_of(target)
    if ns in OTHER_NAMESPACES:
        return False
    return not has_pipe or ("#" not in target and ":" not in target)


def parse_paragraph(line: str, trail: re.Pattern | None, trail_in_anchor: bool) -> Paragraph:
    """One line of cleaned wikitext → plain text and entity link spans (offsets into the text)."""
    parts: list[str] = []
    links: list[Link] = []
    pos, length = 0, 0

    def emit(s: str) -> None:
        nonlocal length
        s = _SPACES.sub(" ", html.unescape(s))
        if parts and parts[-1].endswith(" ") and s.startswith(" "):
            s = s[1:]
        parts.append(s)
        length += len(s)

    for m in _LINK.finditer(line):
        emit(line[pos:m.start()])
        pos = m.end()
        inner = m.group(1)
        pieces = inner.split("|")
        raw_target = pieces[0].strip()
        tail = ""
        if trail is not None:
            t = trail.match(line, pos)
            if t:
                tail, pos = t.group(), t.end()
        if len(pieces) > 2 or "[[" in inner or not _is_entity_link(raw_target, len(pieces) == 2):
            emit(pieces[-1].lstrip(":") + tail)  # shown as plain text, not an entity
            continue
        anchor = pieces[1].strip() if len(pieces) == 2 else raw_target
        target = raw_target.split("#", 1)[0].replace("_", " ").strip()
        anchor = _SPACES.sub(" ", html.unescape(anchor or target)).strip()
        if not target or not anchor:
            emit(anchor + tail)
            continue
        start = length
        shown = anchor + tail if trail_in_anchor else anchor
        parts.append(shown)
        length += len(shown)
        links.append(Link(start, length, target, shown))
        if tail and not trail_in_anchor:
            parts.append(tail)
            length += len(tail)
    emit(line[pos:])
    text = "".join(parts)
    stripped = text.lstrip()
    shift = len(text) - len(stripped)
    text = stripped.rstrip()
    if shift:
        links = [Link(lk.start - shift, lk.end - shift, lk.target, lk.anchor) for lk in links]
    return Paragraph(text, tuple(links))


def paragraphs(wikitext: str, *, keep_lists: bool = False, trail: str | None = r"[a-z]+",
               trail_in_anchor: bool = True) -> Iterator[Paragraph]:
    trail_re = re.compile(trail) if trail else None
    for line in clean_wikitext(wikitext).split("\n"):
        line = line.strip()
        if not line or line.startswith(_SKIP_LINE_START):
            continue
        if line.startswith(_LIST_START):
            if not keep_lists:
                continue
            line = line.lstrip("*#:; ")
        yield parse_paragraph(line, trail_re, trail_in_anchor)


def _is_abbreviation(text: str, end: int) -> bool:
    word = text[text.rfind(" ", 0, end) + 1:end].lower().lstrip("(\"'")
    if word in _ABBREVIATIONS:
        return True
    return len(word) == 2 and word[0].isalpha()  # an initial such as "J."


def split_sentences(par: Paragraph) -> Iterator[Paragraph]:
    """Split a paragraph at sentence ends that are outside every link span; offsets re-based."""
    text, links = par.text, par.links
    start = 0
    for m in _BOUNDARY.finditer(text):
        cut = m.end()
        punct_end = m.start() + 1
        if any(lk.start < punct_end <= lk.end or lk.start < cut < lk.end for lk in links):
            continue
        if text[m.start()] == "." and _is_abbreviation(text, punct_end):
            continue
        yield _slice(par, start, m.end())
        start = cut
    if start < len(text):
        yield _slice(par, start, len(text))


def _slice(par: Paragraph, start: int, end: int) -> Paragraph:
    sub = par.text[start:end]
    stripped = sub.rstrip()
    links = tuple(Link(lk.start - start, lk.end - start, lk.target, lk.anchor)
                  for lk in par.links if lk.start >= start and lk.end <= end)
    return Paragraph(stripped, links)
