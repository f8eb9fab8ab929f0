"""TREC-format relevance judgements (`qid iteration doc_id relevance`), as CLEF and HC4 ship them.

CLEF qrels name topics by their bare number (`141`); records use the topic-file form (`C141`) so the
`qrels` and `topics` configs join on `topic_id`. Zero-relevance rows are kept: they are judged documents.
The line format is read by the shared TREC reader (`curate/formats/trec.py`); this module adds the file
decoding and CLEF's file naming.
"""

from __future__ import annotations

import re
from pathlib import Path

from curate.errors import InputFormatError
from curate.formats.trec import Judgement
from curate.formats.trec import parse_qrels as parse_qrels_text

from .encoding import decode_utf16, sniff_utf16
from .langcodes import UnknownLanguageCode, normalize_language

__all__ = ["Judgement", "decode_qrels_bytes", "parse_qrels_text", "qrels_language", "read_qrels"]


def decode_qrels_bytes(data: bytes, path: Path) -> str:
    """UTF-16 (with or without a BOM), UTF-8, else ISO-8859-1: doc ids are ASCII, so never fail on a stray
    byte. An empty file is an error: read as "no judgements" it would silently drop a document language."""
    utf16 = "utf-16-le" if data.startswith(b"\xff\xfe") else "utf-16-be" if data.startswith(b"\xfe\xff") else None
    if utf16:
        text = decode_utf16(data, path, utf16, skip=2)
    elif (sniffed := sniff_utf16(data)) is not None:
        text = decode_utf16(data, path, sniffed)
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("iso-8859-1")
    if not text.strip():
        raise InputFormatError(path, None, "file is empty")
    return text


def read_qrels(path: Path, allowed: set[int] | None = None, topic_id=lambda raw: raw) -> list[Judgement]:
    return parse_qrels_text(decode_qrels_bytes(Path(path).read_bytes(), Path(path)), Path(path), allowed, topic_id)


_QRELS_NAME = re.compile(r"^qrels[_-]([A-Za-z]+)(?:[_-]\d{2,4})?(?:\.txt)?$", re.IGNORECASE)


def qrels_language(name: str) -> str | None:
    """Document language of a CLEF qrels file: `qrels_english`, `qrels_EN`, `qrels_en_2003` -> `en`."""
    m = _QRELS_NAME.match(name)
    if not m:
        return None
    try:
        return normalize_language(m.group(1))
    except UnknownLanguageCode:
        return None
