"""The Wikidata JSON dump (`latest-all.json.bz2`): labels and sitelinks of every item, streamed.

The dump is one JSON array written one entity per line, each line ending in ",". Anything else is an
error naming the file and line, never a traceback: bytes that are not UTF-8, a line that is not JSON or
nests deeper than Python's parser can follow, an entity of the wrong shape (labels that are a list, a
sitelink without a title string), and a compressed file that ends early (a partial download).
"""

from __future__ import annotations

import bz2
import gzip
import json
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from curate.errors import InputFormatError


def _open(path: Path) -> BinaryIO:
    if path.suffix == ".bz2":
        return bz2.open(path, "rb")  # type: ignore[return-value]
    if path.suffix == ".gz":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def iter_json_dump_lines(path: str | Path) -> Iterator[tuple[int, dict]]:
    """(line number, entity) for every entity of the dump, in file order."""
    path = Path(path)
    lineno = 0
    try:
        with _open(path) as fh:
            for lineno, raw in enumerate(fh, 1):
                line = _decode(raw, path, lineno).strip().rstrip(",")
                if line in ("", "[", "]"):
                    continue
                yield lineno, _entity(line, path, lineno)
    except (EOFError, OSError, zlib.error) as exc:  # bz2/gzip: cut off or corrupt
        raise InputFormatError(path, None, f"truncated or corrupt compressed data after line {lineno}: {exc}") from None


def iter_json_dump(path: str | Path) -> Iterator[dict]:
    """Entities of a Wikidata JSON dump."""
    for _, entity in iter_json_dump_lines(path):
        yield entity


def _decode(raw: bytes, path: Path, lineno: int) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputFormatError(path, lineno, f"byte 0x{raw[exc.start]:02x} at column {exc.start + 1} is not "
                               "valid UTF-8") from None


def _entity(line: str, path: Path, lineno: int) -> dict:
    try:
        entity = json.loads(line)
    except RecursionError:
        raise InputFormatError(path, lineno, "JSON nested too deeply to be a Wikidata entity") from None
    except ValueError as exc:
        raise InputFormatError(path, lineno, f"not a JSON entity line: {exc}") from None
    if not isinstance(entity, dict):
        raise InputFormatError(path, lineno, f"expected a JSON object (an entity), got {type(entity).__name__}")
    return entity


def _mapping(entity: dict, key: str, path: Path, lineno: int) -> dict[str, Any]:
    value = entity.get(key)
    if value is None or value == []:  # PHP's json_encode writes an empty map as []
        return {}
    if not isinstance(value, dict):
        raise InputFormatError(path, lineno, f"entity {entity.get('id')!r}: {key!r} is a "
                               f"{type(value).__name__}, expected an object")
    return value


def _string_field(entry: Any, field: str, where: str, path: Path, lineno: int) -> str:
    if not isinstance(entry, dict) or not isinstance(entry.get(field, ""), str):
        raise InputFormatError(path, lineno, f"{where} is not an object with a string {field!r}: {str(entry)[:80]}")
    return entry.get(field, "")


def dump_tables(path: str | Path, languages: set[str], site: str = "enwiki") -> tuple[list, list]:
    """(qid, lang, label) rows and (title, qid) sitelink rows for the items of a JSON dump."""
    path = Path(path)
    labels: list[tuple[str, str, str]] = []
    titles: list[tuple[str, str]] = []
    for lineno, entity in iter_json_dump_lines(path):
        if entity.get("type") != "item" or "id" not in entity:
            continue  # properties and lexemes
        qid = entity["id"]
        if not isinstance(qid, str):
            raise InputFormatError(path, lineno, f"entity id {qid!r} is not a string")
        for lang, value in sorted(_mapping(entity, "labels", path, lineno).items()):
            label = _string_field(value, "value", f"entity {qid}: label {lang!r}", path, lineno)
            if lang in languages and label:
                labels.append((qid, lang, label))
        link = _mapping(entity, "sitelinks", path, lineno).get(site)
        if link is not None:
            title = _string_field(link, "title", f"entity {qid}: sitelink {site!r}", path, lineno)
            if title:
                titles.append((title, qid))
    return labels, titles
