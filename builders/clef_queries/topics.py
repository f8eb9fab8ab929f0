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


def parse_topic_text(text: str, path: Path, year: int, skipped: Counter | None = None) -> list[ClefTopic]:
    skipped = skipped if skipped is not None else Counter()
    lines = [("" if ln.lstrip().startswith("**") else ln) for ln in text.split("\n")]
    text = "\n".join(lines)
    closed_layout = re.search(r"</[A-Za-z]{1,3}-(title|desc|narr)\s*>", text, re.IGNORECASE) is not None

    topics: list[ClefTopic] = []
    topic: dict | None = None  # fields of the open <top>
    field: tuple[str, int, int, str] | None = None  # (key, line opened, text start, tag as written)
    prefixes: set[str] = set()

    def line_at(offset: int) -> int:
        return text.count("\n", 0, offset) + 1

    def close_field(end: int) -> None:
        nonlocal field
        if field is None or topic is None:
            return
        name, _, start, _ = field
        value = _clean(text[start:end])
        if name == "num":
            topic["num"] = value
        elif name.startswith("?"):
            skipped[f"unknown tag <{name[1:]}> in a CLEF topic"] += 1
        else:
            topic[name] = value
        field = None

    for m in _TAG.finditer(text):
        closing, name = m.group(1) == "/", m.group(2)
        line = line_at(m.start())
        lname = name.lower()
        if lname == "top":
            if not closing:
                if topic is not None:
                    raise InputFormatError(path, topic["_line"], "<top> is not closed before the next <top> "
                                           f"at line {line}")
                topic, field = {"_line": line}, None
                continue
            if topic is None:
                raise InputFormatError(path, line, "</top> without an open <top>")
            if field is not None and closed_layout and field[0] != "num":
                raise InputFormatError(path, field[1], f"<{field[3]}> is not closed before </top> at line {line}")
            close_field(m.start())
            topics.append(_finish(topic, path, year, prefixes))
            topic = None
            continue
        if topic is None:
            raise InputFormatError(path, line, f"<{'/' if closing else ''}{name}> outside <top> ... </top>")
        fm = _FIELD.match(name)
        key = "num" if lname == "num" else (f"{fm.group(2).lower()}" if fm else f"?{name}")
        if fm:
            prefixes.add(fm.group(1).upper())
        if closing:
            if field is None or field[0] != key:
                raise InputFormatError(path, line, f"</{name}> does not close the open field "
                                       f"{('<' + field[3] + '>') if field else '(none)'}")
            close_field(m.start())
            continue
        if field is not None:
            if closed_layout and field[0] not in ("num",) and not field[0].startswith("?"):
                raise InputFormatError(path, field[1], f"<{field[3]}> is not closed before <{name}> at line {line}")
            close_field(m.start())
        field = (key, line, m.end(), name)
    if topic is not None:
        raise InputFormatError(path, topic["_line"], "<top> is never closed (end of file)")
    if len(prefixes) > 1:
        raise InputFormatError(path, None, f"mixes language prefixes {sorted(prefixes)} in one topic file")
    return topics


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
