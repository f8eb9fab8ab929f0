"""The Wikidata JSON dump reader: bad bytes, bad JSON, wrong shapes and truncated files name file and line."""

from __future__ import annotations

import bz2
import gzip
import json
from pathlib import Path

import pytest

from curate.builders.entity_cs.jsondump import dump_tables
from curate.errors import InputFormatError

SAMPLE = Path(__file__).resolve().parent.parent / "curate/builders/entity_cs/sample"
MOCK = SAMPLE / "fixtures/mock-dump-for-testing.json"
ITEM = {"type": "item", "id": "Q1", "labels": {"de": {"language": "de", "value": "Universum"}},
        "sitelinks": {"enwiki": {"site": "enwiki", "title": "Universe"}}}


def _dump(tmp_path: Path, *lines: str, name: str = "dump.json") -> Path:
    path = tmp_path / name
    path.write_text("[\n" + ",\n".join(lines) + "\n]\n", encoding="utf-8")
    return path


def test_reads_the_real_fixture_as_before():
    labels, titles = dump_tables(MOCK, {"de", "mul"}, site="frwiki")
    assert labels == [("Q1", "de", "Universum"), ("Q8", "de", "Glück")]
    assert titles == [("Univers", "Q1"), ("Bonheur", "Q8")]


@pytest.mark.parametrize(("line", "message"), [
    ('["not", "an", "entity"]', r"dump.json:3: expected a JSON object \(an entity\), got list"),
    ('{"type": "item", "id": "Q2", "labels": ["de", "Glück"]}', r"dump.json:3: entity 'Q2': 'labels' is a list"),
    ('{"type": "item", "id": "Q2", "labels": {"de": "Glück"}}', r"dump.json:3: entity Q2: label 'de' is not an object"),
    ('{"type": "item", "id": "Q2", "sitelinks": {"enwiki": {"title": 7}}}', r"dump.json:3: entity Q2: sitelink 'enwiki'"),
    ('{"type": "item", "id": 2}', r"dump.json:3: entity id 2 is not a string"),
    ('{"type": "item", "id": "Q2", "labels": {"de": {"value": "A"}', r"dump.json:3: not a JSON entity line"),
    ("[" * 100_000 + "]" * 100_000, r"dump.json:3: JSON nested too deeply"),
])
def test_wrong_shapes_name_file_and_line(tmp_path, line, message):
    path = _dump(tmp_path, json.dumps(ITEM), line)
    with pytest.raises(InputFormatError, match=message):
        dump_tables(path, {"de"})


def test_empty_label_map_written_as_list_is_accepted(tmp_path):
    path = _dump(tmp_path, json.dumps({**ITEM, "labels": [], "sitelinks": []}))
    assert dump_tables(path, {"de"}) == ([], [])


def test_invalid_utf8_names_file_and_line(tmp_path):
    path = tmp_path / "dump.json"
    path.write_bytes(b"[\n" + json.dumps(ITEM).encode() + b",\n" + json.dumps(ITEM).encode().replace(b"Universum", b"Univ\xe9rsum") + b"\n]\n")
    with pytest.raises(InputFormatError, match=r"dump.json:3: byte 0xe9 at column \d+ is not valid UTF-8"):
        dump_tables(path, {"de"})


@pytest.mark.parametrize(("name", "compress"), [("latest-all.json.bz2", bz2.compress), ("latest-all.json.gz", gzip.compress)])
def test_truncated_compressed_dump_names_the_file(tmp_path, name, compress):
    data = compress(("[\n" + ",\n".join(json.dumps({**ITEM, "id": f"Q{i}"}) for i in range(2000)) + "\n]\n").encode())
    path = tmp_path / name
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputFormatError, match=rf"{name}: truncated or corrupt compressed data after line \d+"):
        dump_tables(path, {"de"})
