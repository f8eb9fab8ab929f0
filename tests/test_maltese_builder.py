from __future__ import annotations

from collections import defaultdict

import datasets
import pytest

from curate.cli import main
from curate.errors import InputFormatError
from curate.formats.conllu import read_conllu
from curate.maltese.resources import MUDT_DIR, read_annotations


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("maltese") / "out"
    assert main(["build", "maltese-etymology", "--out", str(out), "--no-progress"]) == 0
    return out


def test_annotations_are_the_first_439_mudt_train_sentences(built):
    dd = datasets.load_from_disk(str(built / "annotations"))
    rows = sorted((r for split in dd.values() for r in split), key=lambda r: r["index"])
    assert len(rows) == 439 and sum(len(r["tokens"]) for r in rows) == 9683
    mudt = list(read_conllu(MUDT_DIR / "mt_mudt-ud-train.conllu"))[:439]
    for row, sent in zip(rows, mudt, strict=True):
        assert row["sent_id"] == sent.sent_id and row["tokens"] == sent.tokens
        assert row["upos"] == [r["upos"] for r in sent.rows]
        assert len(row["etymology"]) == len(row["etymology_fine"]) == len(row["tokens"])
    assert rows[0]["sent_id"] == "02_02J01:1" and rows[-1]["sent_id"] == "38_02P06:58"


def test_duplicate_sentences_never_straddle_splits(built):
    dd = datasets.load_from_disk(str(built / "annotations"))
    where = defaultdict(set)
    for split, ds in dd.items():
        for toks in ds["tokens"]:
            where[tuple(toks)].add(split)
    assert all(len(s) == 1 for s in where.values())
    assert sum(ds.num_rows for ds in dd.values()) - len(where) == 51  # the 51 exact duplicates


def test_mudt_config_keeps_every_conllu_column(built):
    dd = datasets.load_from_disk(str(built / "mudt"))
    assert {k: v.num_rows for k, v in dd.items()} == {"train": 1123, "validation": 433, "test": 518}
    assert sum(len(t) for ds in dd.values() for t in ds["tokens"]) == 44162
    first = dd["train"][0]
    assert first["heads"][:3] == [7, 7, 4] and first["deprels"][2] == "det" and first["misc"][2] == "SpaceAfter=No"


def test_card_reports_gold_label_statistics(built):
    card = (built / "README.md").read_text()
    assert "| Arabic | 5,848 | 60.4 % |" in card and "config_name: mudt" in card


def test_sample_build(tmp_path):
    out = tmp_path / "sample"
    assert main(["build", "maltese-etymology", "--sample", "--out", str(out), "--no-progress"]) == 0
    dd = datasets.load_from_disk(str(out / "annotations"))
    assert sum(ds.num_rows for ds in dd.values()) == 30


def test_tsv_with_bad_label_names_file_and_line(tmp_path):
    bad = tmp_path / "annotations.tsv"
    bad.write_text("id\ttoken\tcategory\tcategory_merged\n0\tIllum\tArabic\tArabic\n0\tx\tGreek\tArabic\n")
    with pytest.raises(InputFormatError, match=r"annotations.tsv:3: unknown fine label 'Greek'"):
        read_annotations(bad)


def test_bare_quote_tokens_are_not_merged_by_csv_quoting():
    sentences = read_annotations()
    assert sum(len(s.tokens) for s in sentences) == 9683
    assert any('"' in s.tokens for s in sentences)


def test_malformed_conllu_names_file_and_line(tmp_path):
    bad = tmp_path / "bad.conllu"
    bad.write_text("# sent_id = a\n# text = x y\n1\tx\t_\tNOUN\t_\t_\t0\troot\t_\t_\n2\ty\t_\tNOUN\n\n")
    with pytest.raises(InputFormatError, match=r"bad.conllu:4: expected 10 tab-separated CoNLL-U columns, got 4"):
        list(read_conllu(bad))


def test_mudt_has_predicted_etymology_and_one_column_per_pipeline(built):
    ds = datasets.load_from_disk(str(built / "mudt"))["validation"]
    for row in ds.select(range(50)):
        n = len(row["tokens"])
        assert len(row["etymology"]) == len(row["etymology_prob"]) == n and not row["etymology_gold"]
        assert set(row["etymology"]) <= {"Arabic", "Non-Arabic", "Symbol", "Name", "Code-Switching"}
        assert all(0.0 < p <= 1.0 for p in row["etymology_prob"])
        for pipeline in ("translit_all", "translit_arabic", "translate_all", "mixed"):
            assert len(row[f"tokens_{pipeline}"]) == n  # one to one: UD annotations still apply
        for tok, label, out in zip(row["tokens"], row["etymology"], row["tokens_translit_arabic"], strict=True):
            if label != "Arabic":
                assert out == tok  # only Arabic-origin words change script


def test_gold_etymology_option_uses_the_annotations(tmp_path):
    out = tmp_path / "gold"
    assert main(["build", "maltese-etymology", "--config", "mudt", "--out", str(out), "--no-progress",
                 "--gold-etymology"]) == 0
    train = datasets.load_from_disk(str(out / "mudt"))["train"]
    assert sum(train["etymology_gold"]) == 439
    first = train[0]
    gold = read_annotations()[0]
    assert first["etymology"] == list(gold.merged) and set(first["etymology_prob"]) == {1.0}
    assert not train[439]["etymology_gold"]
