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
are translators' comments (older files) and are dropped. The tag scan is the shared TREC topic scanner
(`curate/formats/trec.py`); this module adds what is CLEF's own: `C041` ids and the topic language,
read from the field prefix (`<EN-title>`, 2000's `<E-title>`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from curate.errors import InputFormatError
from curate.formats.trec import TopicBlock, TopicScanner

from .encoding import read_clef_text
from .langcodes import UnknownLanguageCode, clef_topic_id, normalize_language


@dataclass
class ClefTopic:
    topic_id: str  # C041
    language: str  # ISO 639-1
    title: str
    description: str
    narrative: str | None
    line: int  # where <top> is, for error messages


def parse_topic_text(text: str, path: Path, year: int, skipped: Counter | None = None) -> list[ClefTopic]:
    """Topics of one file's text, in file order; `skipped` counts unknown tags. Errors name path and line."""
    text = "\n".join(("" if ln.lstrip().startswith("**") else ln) for ln in text.split("\n"))  # comments
    return TopicScanner(text, path, lambda block: _finish(block, path, year), prefixed=True, skipped=skipped,
                        unknown_tag="unknown tag <{}> in a CLEF topic").scan()


def _finish(block: TopicBlock, path: Path, year: int) -> ClefTopic:
    """A CLEF topic from its fields: `C041` ids, the language from the field prefix (`EN-` -> en)."""
    topic, prefixes, line = block.fields, block.prefixes, block.line
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
