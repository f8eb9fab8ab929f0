"""CLEF ad-hoc topic files (SGML-like, one language per file), in every year's layout.

2001-2003 close every field on one or more lines:    2000 opens a field and puts its value on the
                                                     following lines, with no closing tags:
    <top>                                                <top>
    <num> C141 </num>                                    <num> C001
    <EN-title> Letter Bomb for Kiesbauer </EN-title>     <E-title>
    <EN-desc> Find information ... </EN-desc>            Architecture in Berlin
    <EN-narr> ... </EN-narr>                             <E-desc>
    </top>                                               Find documents on ...

The layout is detected per file: a file with any closing field tag must close every field it opens,
so an unclosed tag there is an error naming the line where it was opened. Lines starting with `**`
are translators' comments (older files) and are dropped.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from curate.errors import InputFormatError

from .encoding import read_clef_text
from .langcodes import UnknownLanguageCode, clef_topic_id, normalize_language

_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9_-]*)\s*>")
_FIELD = re.compile(r"^([A-Za-z]{1,3})-(title|desc|narr)$", re.IGNORECASE)


@dataclass
class ClefTopic:
    topic_id: str  # C041
    language: str  # ISO 639-1
    title: str
    description: str
    narrative: str | None
    line: int  # where <top> is, for error messages


def _clean(text: str) -> str:
    return " ".join(text.split())


@dataclass
class _OpenField:
    key: str  # "num", "title", "desc", "narr", or "?<tag>" for a tag we do not know
    line: int  # where it was opened, for error messages
    start: int  # offset of its text
    tag: str  # the tag as written


class _TopicFileParser:
    """One pass over the tags of a topic file; line numbers advance with the scan (linear time)."""

    def __init__(self, text: str, path: Path, year: int, skipped: Counter):
        self.text, self.path, self.year, self.skipped = text, path, year, skipped
        # a file with any closing field tag must close every field it opens (2001-2003 layout)
        self.closed_layout = re.search(r"</[A-Za-z]{1,3}-(title|desc|narr)\s*>", text, re.IGNORECASE) is not None
        self.topics: list[ClefTopic] = []
        self.topic: dict | None = None  # fields of the open <top>
        self.field: _OpenField | None = None
        self.prefixes: set[str] = set()
        self._line, self._offset = 1, 0

    def line_at(self, offset: int) -> int:
        """Line of `offset`; offsets only grow during the scan, so each newline is counted once."""
        self._line += self.text.count("\n", self._offset, offset)
        self._offset = offset
        return self._line

    def parse(self) -> list[ClefTopic]:
        for m in _TAG.finditer(self.text):
            closing, name = m.group(1) == "/", m.group(2)
            line = self.line_at(m.start())
            if name.lower() == "top":
                self.close_top(line, m.start()) if closing else self.open_top(line)
            elif self.topic is None:
                raise InputFormatError(self.path, line, f"<{'/' if closing else ''}{name}> outside <top> ... </top>")
            elif closing:
                self.close_tag(name, line, m.start())
            else:
                self.open_tag(name, line, m.start(), m.end())
        if self.topic is not None:
            raise InputFormatError(self.path, self.topic["_line"], "<top> is never closed (end of file)")
        if len(self.prefixes) > 1:
            raise InputFormatError(self.path, None, f"mixes language prefixes {sorted(self.prefixes)} in one topic file")
        if not self.topics:
            raise InputFormatError(self.path, None, "no <top> ... </top> topic found")
        return self.topics

    def open_top(self, line: int) -> None:
        if self.topic is not None:
            raise InputFormatError(self.path, self.topic["_line"], f"<top> is not closed before the next <top> "
                                   f"at line {line}")
        self.topic, self.field = {"_line": line}, None

    def close_top(self, line: int, offset: int) -> None:
        if self.topic is None:
            raise InputFormatError(self.path, line, "</top> without an open <top>")
        field = self.field
        if field is not None and self.closed_layout and field.key != "num":
            raise InputFormatError(self.path, field.line, f"<{field.tag}> is not closed before </top> at line {line}")
        self.close_field(offset)
        self.topics.append(_finish(self.topic, self.path, self.year, self.prefixes))
        self.topic = None

    def _key(self, name: str) -> str:
        fm = _FIELD.match(name)
        if fm:
            self.prefixes.add(fm.group(1).upper())
            return fm.group(2).lower()
        return "num" if name.lower() == "num" else f"?{name}"

    def close_tag(self, name: str, line: int, offset: int) -> None:
        key = self._key(name)
        if self.field is None or self.field.key != key:
            raise InputFormatError(self.path, line, f"</{name}> does not close the open field "
                                   f"{('<' + self.field.tag + '>') if self.field else '(none)'}")
        self.close_field(offset)

    def open_tag(self, name: str, line: int, offset: int, text_start: int) -> None:
        key = self._key(name)
        field = self.field
        if field is not None:
            if self.closed_layout and field.key != "num" and not field.key.startswith("?"):
                raise InputFormatError(self.path, field.line, f"<{field.tag}> is not closed before <{name}> "
                                       f"at line {line}")
            self.close_field(offset)
        self.field = _OpenField(key, line, text_start, name)

    def close_field(self, end: int) -> None:
        """Store the open field's text (whitespace collapsed) in the open topic."""
        field, topic = self.field, self.topic
        if field is None or topic is None:
            return
        if field.key.startswith("?"):
            self.skipped[f"unknown tag <{field.key[1:]}> in a CLEF topic"] += 1
        else:
            topic[field.key] = _clean(self.text[field.start:end])
        self.field = None


def parse_topic_text(text: str, path: Path, year: int, skipped: Counter | None = None) -> list[ClefTopic]:
    """Topics of one file's text, in file order; `skipped` counts unknown tags. Errors name path and line."""
    text = "\n".join(("" if ln.lstrip().startswith("**") else ln) for ln in text.split("\n"))  # comments
    return _TopicFileParser(text, path, year, skipped if skipped is not None else Counter()).parse()


def _finish(topic: dict, path: Path, year: int, prefixes: set[str]) -> ClefTopic:
    line = topic["_line"]
    if "num" not in topic:
        raise InputFormatError(path, line, "topic has no <num>")
    try:
        topic_id = clef_topic_id(topic["num"])
    except ValueError as exc:
        raise InputFormatError(path, line, str(exc)) from None
    if "title" not in topic:
        raise InputFormatError(path, line, f"topic {topic_id} has no title field")
    if not prefixes:
        raise InputFormatError(path, line, f"topic {topic_id} has no language-tagged field (<EN-title> ...)")
    prefix = sorted(prefixes)[0]  # more than one is reported for the whole file by the caller
    try:
        language = normalize_language(prefix, year=year)
    except UnknownLanguageCode as exc:
        raise InputFormatError(path, line, f"{exc} in tag <{prefix}-title>") from None
    return ClefTopic(topic_id, language, topic["title"], topic.get("desc", ""), topic.get("narr"), line)


def read_topic_file(path: Path, year: int, language_hint: str | None = None,
                    skipped: Counter | None = None) -> list[ClefTopic]:
    """Parse one CLEF topic file; `language_hint` (from the file name) selects the allowed encodings."""
    text, _ = read_clef_text(path, language_hint)
    return parse_topic_text(text, path, year, skipped)
