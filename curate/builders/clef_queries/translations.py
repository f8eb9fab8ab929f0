"""The Kyrgyz, Uyghur and Turkish (and CIIR Swahili/Somali) translations of CLEF topics C001-C200.

UTF-8 text in blocks separated by blank lines (format of `clef-en-2000-2003_{KYRGYZ,UYGHUR,TURKISH}.txt`,
as read by rlitschk/clef-dataloaders):

    query_id: C141
    title: <text>
    description: <text>
    <continuation lines belong to the description>

There is no narrative. A malformed block is an error naming the file and line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from curate.errors import InputFormatError

from .encoding import decode_clef_bytes
from .langcodes import clef_topic_id

TRANSLATION_FILES: dict[str, str] = {
    "ky": "clef-en-2000-2003_KYRGYZ.txt",
    "ug": "clef-en-2000-2003_UYGHUR.txt",
    "tr": "clef-en-2000-2003_TURKISH.txt",
}


@dataclass
class TranslatedTopic:
    topic_id: str
    title: str
    description: str
    line: int


def _blocks(lines: list[str]) -> list[tuple[int, list[str]]]:
    blocks, current, start = [], [], 0
    for i, raw in enumerate(lines, start=1):
        if raw.strip():
            if not current:
                start = i
            current.append(raw.strip())
        elif current:
            blocks.append((start, current))
            current = []
    if current:
        blocks.append((start, current))
    return blocks


def parse_translation_text(text: str, path: Path) -> list[TranslatedTopic]:
    out: list[TranslatedTopic] = []
    seen: dict[str, int] = {}
    for start, block in _blocks(text.split("\n")):
        if not block[0].startswith("query_id:"):
            raise InputFormatError(path, start, f"block does not start with 'query_id:' (found {block[0][:40]!r})")
        try:
            topic_id = clef_topic_id(block[0][len("query_id:"):])
        except ValueError as exc:
            raise InputFormatError(path, start, str(exc)) from None
        if len(block) < 2 or not block[1].startswith("title:"):
            raise InputFormatError(path, start + 1, f"block {topic_id} has no 'title:' line after 'query_id:'")
        if len(block) < 3 or not block[2].startswith("description:"):
            raise InputFormatError(path, start + 2, f"block {topic_id} has no 'description:' line after 'title:'")
        if topic_id in seen:
            raise InputFormatError(path, start, f"topic {topic_id} repeats the block at line {seen[topic_id]}")
        seen[topic_id] = start
        description = " ".join([block[2][len("description:"):].strip(), *block[3:]]).strip()
        out.append(TranslatedTopic(topic_id, block[1][len("title:"):].strip(), description, start))
    return out


def read_translation_file(path: Path, language: str) -> list[TranslatedTopic]:
    text, _ = decode_clef_bytes(Path(path).read_bytes(), Path(path), language)
    return parse_translation_text(text, Path(path))
