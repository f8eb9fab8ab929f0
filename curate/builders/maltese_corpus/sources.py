"""Input files of maltese-corpus: which files, cut into which work units, read into which texts.

Layouts found under the input folder (`--manual-dir`, or the shipped sample):
- Korpus Malti (Hub dataset `MLRS/korpus_malti`), as published: `data/shuffled/{train,validation,test}*.jsonl`
  (v4: one sentence per object, field `text` a string), `data/shuffled/*.jsonl` (early v4, one train
  split), `data/shuffled/{train,validation,test}.txt` (v3: one sentence per line), and the per-domain
  folders `data/<domain>/*.jsonl` (field `text` a list of the sentences of one document). When
  `data/shuffled/` exists only it is read (the domain folders hold the same text again).
- Anything else: every `.txt`, `.jsonl` and `.parquet` file below the folder, in path order; the split is
  `validation`/`test` when the file name starts with `valid`/`dev`/`test`, else `train`.

Work units are byte slices of text files (a line belongs to the slice it starts in) and row groups of
Parquet files, so a unit is small, resumable and the same on every run. Records that cannot be used
are skipped and counted by reason (the first of each reason is logged with file and line); a file that
cannot be used at all (unreadable, Parquet without the text column) fails its unit naming the file.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from curate.errors import InputFormatError

log = logging.getLogger(__name__)
SUFFIXES = (".txt", ".jsonl", ".parquet")
_SPLIT_OF = (("valid", "validation"), ("dev", "validation"), ("test", "test"), ("train", "train"))


class Unit(NamedTuple):
    path: str  # relative to the input folder, '/'-separated
    start: int  # byte offset, or row group for Parquet
    end: int  # byte offset (exclusive), or row group + 1

    def id(self) -> str:
        return f"{self.path}@{self.start}-{self.end}"

    @classmethod
    def parse(cls, unit: str) -> Unit:
        path, _, span = unit.rpartition("@")
        start, _, end = span.partition("-")
        return cls(path, int(start), int(end))


class Text(NamedTuple):
    id: str  # '<file>:<byte offset>' or '<file>:rg<group>:<row>': stable across runs and worker counts
    sentences: list[str] | None  # given sentence by sentence (Korpus domains), else None
    text: str


def split_of(relpath: str) -> str:
    name = relpath.rsplit("/", 1)[-1].lower()
    return next((split for prefix, split in _SPLIT_OF if name.startswith(prefix)), "train")


# files a corpus folder (a Hub dataset repo) carries beside its data: never read, never text
_NOT_DATA = (".md", ".py", ".yaml", ".yml", ".json", ".cff", ".bib", ".lock")  # .json: dataset_infos.json


def discover(root: Path) -> list[str]:
    """Input files under `root`, relative and sorted; empty when none is found. Any other file that may hold
    text (a compressed `.jsonl.gz`, a `.csv`, ...) is refused by name rather than silently left out."""
    shuffled = root / "data" / "shuffled"
    base = shuffled if shuffled.is_dir() else root
    found = [p for p in base.rglob("*") if p.is_file() and not p.name.startswith(".")]
    unreadable = sorted(p.relative_to(root).as_posix() for p in found
                        if p.suffix not in SUFFIXES and p.suffix.lower() not in _NOT_DATA
                        and not p.name.upper().startswith(("LICENSE", "LICENCE", "README", "COPYING")))
    if unreadable:
        more = f" and {len(unreadable) - 5} more" if len(unreadable) > 5 else ""
        raise InputFormatError(root / unreadable[0], None,
                               f"not a supported input ({', '.join(SUFFIXES)}): {', '.join(unreadable[:5])}{more} "
                               f"under {root}; decompress or convert them, or move them out of the folder")
    return sorted(p.relative_to(root).as_posix() for p in found if p.suffix in SUFFIXES)


def units_of(root: Path, relpath: str, slice_bytes: int, text_field: str = "text") -> list[Unit]:
    path = root / relpath
    if relpath.endswith(".parquet"):
        pf = _parquet(path)
        _check_column(pf, path, text_field)  # before any unit runs: a wrong --text-field fails at once
        groups = pf.metadata.num_row_groups
        return [Unit(relpath, g, g + 1) for g in range(groups)] or [Unit(relpath, 0, 0)]
    size = path.stat().st_size
    return [Unit(relpath, s, min(s + slice_bytes, size)) for s in range(0, size, slice_bytes)] or [Unit(relpath, 0, 0)]


def _parquet(path: Path):
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid / OSError for a file that is not Parquet
        raise InputFormatError(path, None, f"not a readable Parquet file ({exc})") from exc


def _check_column(pf, path: Path, text_field: str) -> None:
    if text_field not in pf.schema_arrow.names:
        raise InputFormatError(path, None, f"no column {text_field!r} (columns: "
                                           f"{', '.join(pf.schema_arrow.names)}); choose one with --text-field")


def line_number(path: Path, offset: int) -> int:
    """1-based line of a byte offset; only computed for messages (it reads the file up to there)."""
    n, done = 1, 0
    with path.open("rb") as f:
        while done < offset:
            chunk = f.read(min(1 << 20, offset - done))
            if not chunk:
                break
            n += chunk.count(b"\n")
            done += len(chunk)
    return n


class Reader:
    """Reads one unit into `Text`s, counting skipped records into `skip(reason)`."""

    def __init__(self, root: Path, text_field: str, max_line_bytes: int, skip) -> None:
        self.root, self.text_field, self.max_line_bytes, self._skip = root, text_field, max_line_bytes, skip
        self._logged: set[str] = set()

    def skip(self, reason: str, relpath: str, offset: int | None = None) -> None:
        self._skip(reason)
        if reason not in self._logged:  # one message per reason and unit: the counts are in the manifest
            self._logged.add(reason)
            where = f"{relpath}:{line_number(self.root / relpath, offset)}" if offset is not None else relpath
            log.warning("maltese-corpus: skipped %s (%s); further ones are only counted", where, reason)

    def read(self, unit: Unit) -> Iterator[Text]:
        if unit.path.endswith(".parquet"):
            yield from self._parquet_rows(unit)
            return
        path = self.root / unit.path
        if path.stat().st_size == 0:
            self.skip("empty_file", unit.path)
            return
        jsonl = unit.path.endswith(".jsonl")
        for offset, raw in self._lines(path, unit):
            if raw is None:
                self.skip("line_too_long", unit.path, offset)
                continue
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                self.skip("invalid_utf8", unit.path, offset)
                continue
            if not line.strip():
                self.skip("empty_line", unit.path, offset)
                continue
            text = self._json_text(line, unit.path, offset) if jsonl else Text(f"{unit.path}:{offset}", None, line.strip())
            if text is not None:
                yield text

    def _lines(self, path: Path, unit: Unit) -> Iterator[tuple[int, bytes | None]]:
        limit = self.max_line_bytes
        with path.open("rb") as f:
            if unit.start > 0:  # the line that straddles the slice start belongs to the previous slice
                f.seek(unit.start - 1)
                f.readline()
            while (offset := f.tell()) < unit.end:
                raw = f.readline(limit + 1)
                if not raw:
                    return
                if len(raw) > limit and not raw.endswith(b"\n"):
                    while raw and not raw.endswith(b"\n"):  # skip the rest of the overlong line
                        raw = f.readline(limit + 1)
                    yield offset, None
                    continue
                yield offset, raw.rstrip(b"\r\n")

    def _json_text(self, line: str, relpath: str, offset: int) -> Text | None:
        try:
            obj = json.loads(line)
        except ValueError:
            self.skip("invalid_json", relpath, offset)
            return None
        value = obj.get(self.text_field) if isinstance(obj, dict) else None
        return self._text(value, f"{relpath}:{offset}", relpath, offset, missing=not isinstance(obj, dict) or
                          self.text_field not in obj)

    def _text(self, value, rid: str, relpath: str, offset: int | None, missing: bool) -> Text | None:
        if missing:
            self.skip("missing_text_field", relpath, offset)
        elif isinstance(value, str):
            if value.strip():
                return Text(rid, None, value.strip())
            self.skip("empty_text", relpath, offset)
        elif isinstance(value, list) and all(isinstance(s, str) for s in value):
            sentences = [s.strip() for s in value if s.strip()]
            if sentences:
                return Text(rid, sentences, "\n".join(sentences))
            self.skip("empty_text", relpath, offset)
        else:
            self.skip("text_not_a_string", relpath, offset)
        return None

    def _parquet_rows(self, unit: Unit) -> Iterator[Text]:
        path = self.root / unit.path
        pf = _parquet(path)
        _check_column(pf, path, self.text_field)
        if unit.end == 0:
            self.skip("empty_file", unit.path)
            return
        column = pf.read_row_group(unit.start, columns=[self.text_field]).column(0)
        for row, value in enumerate(column.to_pylist()):
            yield from filter(None, [self._text(value, f"{unit.path}:rg{unit.start}:{row}", unit.path, None,
                                                missing=value is None)])


def safe_relpath(relpath: str) -> str:
    """A unit's path comes back from the runner: refuse anything that would leave the input folder."""
    if relpath.startswith("/") or ".." in re.split(r"[\\/]", relpath):
        raise InputFormatError(relpath, None, "work unit path outside the input folder")
    return relpath
