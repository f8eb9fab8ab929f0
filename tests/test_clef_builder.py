"""`curate build clef-queries --sample` end to end, manual-file instructions, CLEF_HOME, and `curate export`."""

import json
from pathlib import Path

import pytest

from curate.cli import main

SAMPLE = Path(__file__).resolve().parent.parent / "curate" / "builders" / "clef_queries" / "sample" / "CLEF"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("clef") / "build"
    assert main(["build", "clef-queries", "--sample", "--out", str(out), "--no-progress", "--collections",
                 "clef2000,clef2001,clef2002,clef2003"]) == 0
    return out


def test_sample_build_topics_qrels_aligned(built):
    import datasets

    topics = datasets.load_from_disk(str(built / "topics"))["test"]
    assert topics.num_rows == 34  # official: 6+4+4+6, translations ky 5 + ug 3 + tr 6
    rows = {(r["collection"], r["topic_id"], r["language"]): r for r in topics}
    assert rows[("clef2000", "C001", "sv")]["title"] == "Solenergi i Skandinavien"
    assert rows[("clef2000", "C002", "es")]["title"] == "Accidentes de ferris en el mar Báltico"
    assert rows[("clef2003", "C141", "ru")]["language_iso3"] == "rus"
    assert rows[("clef2003", "C141", "ky")]["origin"] == "human_translation"
    qrels = datasets.load_from_disk(str(built / "qrels"))["test"]
    assert {(r["topic_id"], r["doc_language"]) for r in qrels} >= {("C141", "ru"), ("C041", "de"), ("C001", "en")}
    aligned = datasets.load_from_disk(str(built / "aligned"))["test"]
    c141 = next(r for r in aligned if r["topic_id"] == "C141")
    assert c141["languages"] == ["en", "fi", "ky", "ru", "tr", "ug"]
    assert [v["language"] for v in c141["versions"]] == c141["languages"]
    manifest = json.loads((built / "manifest.json").read_text())
    assert set(manifest["configs"]) == {"topics", "qrels", "aligned"}


def test_export_trec_jsonl_qrels(built, tmp_path, capsys):
    out = tmp_path / "ky.trec"
    assert main(["export", "clef-queries", str(built), "--format", "trec", "--language", "ky",
                 "--collection", "clef2003", "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "<num> Number: 141\n<title> Байкал көлүнүн булганышы" in text and text.count("<top>") == 1
    assert main(["export", "clef-queries", str(built), "--format", "jsonl", "--language", "de"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [x["query_id"] for x in lines] == ["41", "42"] and lines[0]["title"] == "Radwege in Städten"
    assert main(["export", "clef-queries", str(built), "--format", "qrels", "--language", "ru"]) == 0
    assert capsys.readouterr().out == "141 0 izv_1995_0001 1\n142 0 izv_1995_0777 0\n"


def test_missing_clef_files_print_instructions(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("CLEF_HOME", raising=False)
    status = main(["build", "clef-queries", "--config", "topics", "--out", str(tmp_path / "o"), "--no-progress",
                   "--collections", "clef2003", "--manual-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert status == 2
    assert "no CLEF 2003 topic files found" in err and "ELRA-E0008" in err
    assert "Topics/topics2000/TOP-{E,F,FI,D,I,SW,SP}.txt" in err and "RelAssess/{year}/qrels_{language}" in err


def test_clef_home_env_is_honoured(tmp_path, monkeypatch):
    import datasets

    monkeypatch.setenv("CLEF_HOME", str(SAMPLE))
    out = tmp_path / "o"
    assert main(["build", "clef-queries", "--config", "qrels", "--out", str(out), "--no-progress",
                 "--collections", "clef2003", "--offline"]) == 0
    assert datasets.load_from_disk(str(out / "qrels"))["test"].num_rows == 5


def test_sample_without_hc4_copy_is_a_counted_skip(tmp_path, monkeypatch):
    monkeypatch.setenv("CURATE_HC4_DIR", str(tmp_path / "absent"))
    out = tmp_path / "o"
    assert main(["build", "clef-queries", "--sample", "--config", "qrels", "--out", str(out), "--no-progress",
                 "--collections", "clef2003,hc4"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert "which is absent (HC4 is never shipped)" in json.dumps(manifest)
