"""maltese-corpus: sample build, layouts, bad input, resume, and the same bytes with 1 or 2 workers."""

import json
import os

import datasets
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curate.builders.maltese_corpus.sources import Reader, Unit, discover, units_of
from curate.cli import main
from curate.staging import Staging
from tests.conftest import shard_hashes

SENTENCES = [json.loads(line)["text"] for line in open(
    os.path.join(os.path.dirname(__file__), "..", "curate", "builders", "maltese_corpus", "sample", "data", "shuffled",
                 "validation.jsonl"), encoding="utf-8")]


def _build(out, *args) -> int:
    return main(["build", "maltese-corpus", "--out", str(out), "--no-progress", *args])


def test_sample_build_has_aligned_pipeline_columns(tmp_path, capsys):
    assert _build(tmp_path / "out", "--sample") == 0
    printed = capsys.readouterr().out
    assert "counts (nothing left out): " in printed and "translate_all_tokens_kept_untranslated=" in printed
    dd = datasets.load_from_disk(str(tmp_path / "out" / "default"))
    assert {k: v.num_rows for k, v in dd.items()} == {"train": 400, "validation": 59, "test": 59}
    ids = [i for ds in dd.values() for i in ds["id"]]
    assert len(set(ids)) == len(ids) and ids[0] == "data/shuffled/train.jsonl:0"
    for row in dd["validation"]:
        n = len(row["tokens"])
        assert n == sum(row["sentence_lengths"]) == len(row["etymology"]) == len(row["etymology_prob"])
        assert all(len(row[f"tokens_{p}"]) == n for p in ("translit_all", "translit_arabic", "mixed", "translate_all"))
        for tok, label, arabic in zip(row["tokens"], row["etymology"], row["tokens_translit_arabic"]):
            assert (arabic == tok) == (label != "Arabic") or arabic == tok  # only Arabic-origin tokens change
    from curate.maltese.transforms.pipelines import ConditionalPipeline

    for preset in ("translit_all", "translit_arabic", "mixed", "translate_all"):  # the one-pass columns
        pipe = ConditionalPipeline(preset)
        assert all(pipe.apply_tokens(r["tokens"], r["etymology"]) == r[f"tokens_{preset}"] for r in dd["validation"])
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    entry = manifest["configs"]["default"]
    assert entry["counts"]["translate_all_tokens_kept_untranslated"] > 0  # noted, not a skip
    assert not any(k.endswith("_tokens_kept_untranslated") for k in entry["skipped"])
    # no text of the sample is long enough to be cut: that figure is a statistic read from the ids, not a skip
    assert "rows_cut_from_long_records" not in entry["skipped"]
    assert entry["statistics"]["measures"]["row_kind"]["labels"] == {
        "train": {"whole text": 400}, "validation": {"whole text": 59}, "test": {"whole text": 59}}
    assert "Rows that are parts of a long text: 0 " in (tmp_path / "out" / "README.md").read_text()


def test_counts_of_a_unit_stopped_early_are_kept_for_the_rows_it_gave(tmp_path):
    from curate.builder import BuildContext
    from curate.builders.maltese_corpus import _processor
    from curate.options import resolve
    from curate.registry import get_builder

    builder = get_builder("maltese-corpus")
    ctx = BuildContext(config=builder.config(None), out_dir=tmp_path, sample=True,
                       options=resolve(builder.Options, None))
    unit = next(u for u in builder.work_units(ctx) if "validation" in u)
    stream = builder.generate(unit, ctx)
    rows = [next(stream)[2] for _ in range(30)]  # of 59: the consumer stops (e.g. a full split) and closes
    stream.close()
    processor = _processor(ctx.options)
    expected = {}
    for preset, choice in processor._choice.items():  # tokens a pipeline translates that no table covers
        n = sum(1 for r in rows for tok, label in zip(r["tokens"], r["etymology"])
                if choice.get(label, 0) == 2 and processor._table.get(tok) is None)
        if n:
            expected[f"{preset}_tokens_kept_untranslated"] = n
    assert expected.get("translate_all_tokens_kept_untranslated") and dict(ctx.counted) == expected
    assert not ctx.skipped
    assert not processor.counts  # nothing left to be counted under the next unit of this process


def _folder(root, bad_parquet: bool):
    root.mkdir()
    (root / "a.txt").write_text("\n".join(SENTENCES[:12]) + "\n", encoding="utf-8")
    (root / "test-b.jsonl").write_text("".join(json.dumps({"text": [s, s.upper()]}) + "\n" for s in SENTENCES[12:20]),
                                       encoding="utf-8")
    table = pa.table({"body" if bad_parquet else "text": SENTENCES[20:30]})
    pq.write_table(table, root / "c.parquet", row_group_size=4)


def test_resume_after_a_failed_unit_and_workers_give_the_same_bytes(tmp_path, capsys, monkeypatch):
    src, out = tmp_path / "src", tmp_path / "out"
    _folder(src, bad_parquet=True)
    assert _build(out, "--manual-dir", str(src)) == 2  # checked before any unit runs
    err = capsys.readouterr().err
    assert f"{src / 'c.parquet'}: no column 'text' (columns: body)" in err and "Traceback" not in err
    assert not Staging(out).parts_dir("default").exists()
    pq.write_table(pa.table({"text": SENTENCES[20:30]}), src / "c.parquet", row_group_size=4)

    read = Reader.read

    def failing(self, unit):  # the disk goes away while the Parquet units run
        if unit.path.endswith(".parquet"):
            raise OSError("simulated read error")
        return read(self, unit)

    monkeypatch.setattr(Reader, "read", failing)
    assert _build(out, "--manual-dir", str(src)) != 0
    done = sorted(Staging(out).parts_dir("default").glob("*/done.json"))
    assert [p.parent.name[7:12] for p in done] == ["a.txt", "test-"]
    redone = []

    def recording(self, unit):
        redone.append(unit.path)
        return read(self, unit)

    monkeypatch.setattr(Reader, "read", recording)
    assert _build(out, "--manual-dir", str(src)) == 0
    assert redone == ["c.parquet"] * 3  # finished units were not redone; the 3 row groups were
    dd = datasets.load_from_disk(str(out / "default"))
    assert {k: v.num_rows for k, v in dd.items()} == {"train": 22, "validation": 0, "test": 8}
    assert dd["test"][0]["sentence_lengths"][1] == dd["test"][0]["sentence_lengths"][0]  # a list of sentences
    two = tmp_path / "two"
    assert _build(two, "--manual-dir", str(src), "--workers", "2") == 0
    assert shard_hashes(out) == shard_hashes(two) and shard_hashes(out)


def test_bad_records_are_counted_and_long_lines_cut(tmp_path):
    root = tmp_path / "src"
    root.mkdir()
    (root / "empty.txt").write_bytes(b"")
    lines = [b'{"text": "Il-Gvern qal li le."}', b"{not json", b'{"title": "no text"}', b'{"text": 3}',
             b'["a list"]', b'{"text": "  "}', b"", b'{"text": "Il-kelb \\u0127a"}',
             b'{"text": "bad \xff utf8"}']
    (root / "bad.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    long_line = " ".join(SENTENCES) * 4  # ~60k characters, no newline
    (root / "long.txt").write_text(long_line + "\n" + "x" * (1 << 20) + "y\nIl-Qorti.\n", encoding="utf-8")
    skipped = []
    reader = Reader(root, "text", 1 << 20, skipped.append)
    texts = [t for f in discover(root) for u in units_of(root, f, 1 << 20) for t in reader.read(u)]
    second = sum(len(line) + 1 for line in lines[:7])
    last = len(long_line.encode()) + 1 + (1 << 20) + 2
    assert [t.id for t in texts] == ["bad.jsonl:0", f"bad.jsonl:{second}", "long.txt:0", f"long.txt:{last}"]
    assert sorted(skipped) == sorted(["empty_file", "invalid_json", "missing_text_field", "text_not_a_string",
                                      "missing_text_field", "empty_text", "empty_line", "invalid_utf8",
                                      "line_too_long"])
    from curate.builders.maltese_corpus.process import CorpusProcessor

    processor = CorpusProcessor(threads=1, max_part_chars=10_000)
    rows = list(processor.rows(texts))
    parts = [r["id"] for r in rows if r["id"].startswith("long.txt:0#")]
    assert len(parts) >= 3 and all(len(r["text"]) <= 10_000 for r in rows)
    assert sum(len(r["tokens"]) for r in rows if r["id"] in parts) > 5_000
    assert "rows_cut_from_long_records" not in processor.take_counts()  # not a skip: read from the ids instead
    from curate.builders.maltese_corpus.card_stats import PART, WHOLE, row_kind

    ids = [r["id"] for r in rows] + ["odd#3.txt:0", "x.parquet:rg2:7"]  # a '#' in a file name is no part
    kinds = row_kind(pa.record_batch({"id": ids})).to_pylist()
    assert kinds == [PART if i in parts else WHOLE for i in ids] and kinds.count(PART) == len(parts)


def test_slices_cover_each_line_once(tmp_path):
    root = tmp_path / "src"
    root.mkdir()
    text = "".join(f"Sentenza numru {i}.\n" for i in range(2000))
    (root / "t.txt").write_text(text, encoding="utf-8")
    units = units_of(root, "t.txt", 997)
    assert len(units) > 30 and Unit.parse(units[3].id()) == units[3]
    reader = Reader(root, "text", 1 << 20, lambda reason: pytest.fail(reason))
    got = [t.text for u in units for t in reader.read(u)]
    assert got == [f"Sentenza numru {i}." for i in range(2000)]


def test_manual_dir_without_files_prints_download_instructions(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert _build(tmp_path / "out", "--manual-dir", str(tmp_path / "empty")) == 2
    err = capsys.readouterr().err
    assert "no .txt, .jsonl or .parquet files" in err and "huggingface-cli download MLRS/korpus_malti" in err
    assert _build(tmp_path / "out2") == 2
    assert "--manual-dir" in capsys.readouterr().err


def test_files_that_cannot_be_read_are_refused_not_left_out(tmp_path, capsys):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "README.md").write_text("# a corpus\n")  # documentation beside the data is fine
    (corpus / "part-0.jsonl").write_text('{"text": "Il-Gvern ħabbar miżuri ġodda."}\n')
    (corpus / "part-1.jsonl.gz").write_bytes(b"\x1f\x8b not read")
    assert _build(tmp_path / "out", "--manual-dir", str(corpus)) == 2
    err = capsys.readouterr().err
    assert "part-1.jsonl.gz" in err and "not a supported input" in err
    assert not (tmp_path / "out" / "manifest.json").exists()
