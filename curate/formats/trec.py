"""TREC topic and qrels files, read and written in one place.

Used by the clef-queries builder (CLEF topic files are TREC-style SGML with language-prefixed fields,
CLEF and HC4 qrels are TREC qrels) and by `curate export` (TREC topics and qrels for Anserini, trec_eval,
ir_measures). Topic files come in two layouts, detected per file:

    closed (CLEF 2001-2003)                 open (TREC, CLEF 2000): a field runs to the next tag
    <top>                                   <top>
    <num> C141 </num>                       <num> Number: 141
    <EN-title> Lake Baikal </EN-title>      <title> Lake Baikal
    <EN-desc> Find ... </EN-desc>           <desc> Description:
    </top>                                  Find ...
                                            </top>

In a file with any closing field tag every field must be closed, so an unclosed tag there is an error
naming the line where it was opened. A field given twice in one `<top>` (two `<title>`s, or `<EN-title>` and
`<DE-title>`) is an error naming the line of the second: keeping either would drop text unseen. Field text has its whitespace collapsed. The scan is one pass over
the tags, with line numbers counted as it goes (linear in the file size).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from curate.errors import InputFormatError

T = TypeVar("T")
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9_-]*)\s*>")
_PREFIXED_FIELD = re.compile(r"^([A-Za-z]{1,3})-(title|desc|narr)$", re.IGNORECASE)
_PLAIN_FIELD = re.compile(r"^()(title|desc|narr)$", re.IGNORECASE)
_LABEL = {"num": re.compile(r"^Number:\s*", re.I), "desc": re.compile(r"^Description:\s*", re.I),
          "narr": re.compile(r"^Narrative:\s*", re.I)}


# ---- qrels ------------------------------------------------------------------------------------------
@dataclass
class Judgement:
    topic_id: str
    doc_id: str
    relevance: int
    line: int


def parse_qrels(text: str, path: str | Path, allowed: set[int] | None = None,
                topic_id: Callable[[str], str] = lambda raw: raw) -> list[Judgement]:
    """`qid iteration doc_id relevance` lines. `topic_id` maps the file's id to the record's (it may raise
    ValueError); `allowed` restricts the relevance grades. Zero-relevance rows are kept: they are judged."""
    out = []
    for n, raw in enumerate(text.splitlines(), start=1):
        parts = raw.split()
        if not parts:
            continue
        if len(parts) != 4:
            raise InputFormatError(path, n, f"expected 4 columns 'topic iteration doc_id relevance', "
                                   f"found {len(parts)}: {raw.strip()[:80]!r}")
        try:
            rel = int(parts[3])
        except ValueError:
            raise InputFormatError(path, n, f"relevance {parts[3]!r} is not an integer") from None
        if allowed is not None and rel not in allowed:
            raise InputFormatError(path, n, f"relevance {rel} is not one of {sorted(allowed)}")
        try:
            tid = topic_id(parts[0])
        except ValueError as exc:
            raise InputFormatError(path, n, str(exc)) from None
        out.append(Judgement(tid, parts[2], rel, n))
    return out


def format_qrels(judgements: Iterable[tuple[str, str, int]]) -> str:
    """(topic id, doc id, relevance) → TREC qrels lines, iteration 0."""
    return "".join(f"{topic} 0 {doc} {rel}\n" for topic, doc, rel in judgements)


# ---- topics -----------------------------------------------------------------------------------------
@dataclass
class TrecTopic:
    topic_id: str  # as the qrels name it
    title: str
    description: str
    narrative: str


@dataclass
class TopicBlock:
    """The fields of one `<top>`, as read: keys num, title, desc, narr; field prefixes seen so far."""
    line: int  # where <top> is
    fields: dict[str, str]
    prefixes: frozenset[str]


@dataclass
class _OpenField:
    key: str  # "num", "title", "desc", "narr", or "?<tag>" for a tag we do not know
    line: int  # where it was opened, for error messages
    start: int  # offset of its text
    tag: str  # the tag as written


class TopicScanner:
    """One pass over the tags of a topic file. `prefixed`: fields are `<EN-title>` (CLEF), else `<title>`.
    `finish(block)` turns each closed `<top>` into a record; its errors come in file order."""

    def __init__(self, text: str, path: str | Path, finish: Callable[[TopicBlock], T], prefixed: bool,
                 skipped: Counter | None = None, unknown_tag: str = "unknown tag <{}> in a topic file"):
        self.text, self.path, self.finish, self.unknown_tag = text, path, finish, unknown_tag
        self.skipped = skipped if skipped is not None else Counter()
        self.field_re = _PREFIXED_FIELD if prefixed else _PLAIN_FIELD
        closing = r"</[A-Za-z]{1,3}-(title|desc|narr)\s*>" if prefixed else r"</(title|desc|narr)\s*>"
        self.closed_layout = re.search(closing, text, re.IGNORECASE) is not None
        self.records: list[T] = []
        self.topic: dict | None = None  # fields of the open <top>, and "_line"
        self.field: _OpenField | None = None
        self.field_lines: dict[str, int] = {}  # key -> line it was opened at, in the open <top>
        self.prefixes: set[str] = set()
        self._line, self._offset = 1, 0

    def line_at(self, offset: int) -> int:
        """Line of `offset`; offsets only grow during the scan, so each newline is counted once."""
        self._line += self.text.count("\n", self._offset, offset)
        self._offset = offset
        return self._line

    def scan(self) -> list[T]:
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
        if not self.records:
            raise InputFormatError(self.path, None, "no <top> ... </top> topic found")
        return self.records

    def open_top(self, line: int) -> None:
        if self.topic is not None:
            raise InputFormatError(self.path, self.topic["_line"], f"<top> is not closed before the next <top> "
                                   f"at line {line}")
        self.topic, self.field, self.field_lines = {"_line": line}, None, {}

    def close_top(self, line: int, offset: int) -> None:
        if self.topic is None:
            raise InputFormatError(self.path, line, "</top> without an open <top>")
        field = self.field
        if field is not None and self.closed_layout and field.key != "num":
            raise InputFormatError(self.path, field.line, f"<{field.tag}> is not closed before </top> at line {line}")
        self.close_field(offset)
        fields = {k: v for k, v in self.topic.items() if k != "_line"}
        self.records.append(self.finish(TopicBlock(self.topic["_line"], fields, frozenset(self.prefixes))))
        self.topic = None

    def _key(self, name: str) -> str:
        fm = self.field_re.match(name)
        if fm:
            if fm.group(1):
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
        if not key.startswith("?"):  # unknown tags are only counted, never stored, so repeats lose nothing
            if key in self.field_lines:
                raise InputFormatError(self.path, line, f"<{name}> repeats the {key} field of the topic at line "
                                       f"{self.topic['_line']} (first given at line {self.field_lines[key]})")
            self.field_lines[key] = line
        self.field = _OpenField(key, line, text_start, name)

    def close_field(self, end: int) -> None:
        """Store the open field's text (whitespace collapsed) in the open topic."""
        field, topic = self.field, self.topic
        if field is None or topic is None:
            return
        if field.key.startswith("?"):
            self.skipped[self.unknown_tag.format(field.key[1:])] += 1
        else:
            topic[field.key] = " ".join(self.text[field.start:end].split())
        self.field = None


def _trec_topic(block: TopicBlock, path: str | Path) -> TrecTopic:
    def field(key: str) -> str:
        value = block.fields.get(key, "")
        return _LABEL[key].sub("", value) if key in _LABEL else value

    if not field("num"):
        raise InputFormatError(path, block.line, "topic has no <num>")
    return TrecTopic(field("num"), field("title"), field("desc"), field("narr"))


def parse_topics(text: str, path: str | Path, skipped: Counter | None = None) -> list[TrecTopic]:
    """A TREC topic file (`<num> Number:`, `<title>`, `<desc> Description:`, `<narr> Narrative:`)."""
    return TopicScanner(text, path, lambda block: _trec_topic(block, path), prefixed=False, skipped=skipped).scan()


def format_topics(topics: Iterable[TrecTopic]) -> str:
    """The classic TREC layout that Anserini's TrecTopicReader and trec_eval tooling read."""
    return "\n".join(f"<top>\n<num> Number: {t.topic_id}\n<title> {t.title}\n\n<desc> Description:\n"
                     f"{t.description or ''}\n\n<narr> Narrative:\n{t.narrative or ''}\n\n</top>\n" for t in topics)
