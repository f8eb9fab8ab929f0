"""`curate etymology eval|train` and `curate tag` through `curate.cli.main`; the shipped default model."""

import json

import numpy as np
import pytest

from curate.cli import main
from curate.maltese.etymology.evaluate import fold_assignment
from curate.maltese.etymology.inference import DEFAULT_MODEL_DIR, EtymologyEngine
from curate.maltese.resources import read_annotations

TINY = '{"epochs": 1, "char_dim": 8, "char_filters": 8, "feature_dim": 8, "word_dim": 16, "hidden": 8, "threads": 1}'


def test_grouped_folds_keep_duplicate_sentences_together():
    sentences = [list(a.tokens) for a in read_annotations()]
    folds = fold_assignment(sentences, 10, seed=0, grouped=True)
    by_text: dict[tuple, set] = {}
    for s, f in zip(sentences, folds):
        by_text.setdefault(tuple(s), set()).add(f)
    assert len(sentences) == 439 and len(by_text) == 388
    assert all(len(f) == 1 for f in by_text.values())
    sizes = [folds.count(k) for k in range(10)]
    assert max(sizes) - min(sizes) <= 3  # still balanced
    plain = fold_assignment(sentences, 10, seed=0, grouped=False)
    assert sorted(plain.count(k) for k in range(10)) == [43] * 1 + [44] * 9
    assert any(len({p for s2, p in zip(sentences, plain) if tuple(s2) == t}) > 1 for t in by_text)  # plain folds leak


def test_eval_prints_one_json_object_with_seen_and_unseen_scores(capsys):
    assert main(["etymology", "eval", "--folds", "2", "--max-sentences", "24", "--jobs", "1", "--seed", "3",
                 "--model-config", TINY, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {"all", "seen", "unseen", "per_label", "folds"} <= set(report)
    sentences = [list(a.tokens) for a in read_annotations()[:24]]
    folds = fold_assignment(sentences, 2, seed=3, grouped=False)
    unseen = 0
    for k in range(2):  # unseen = lower-cased form absent from the training folds
        vocab = {t.lower() for s, f in zip(sentences, folds) if f != k for t in s}
        unseen += sum(t.lower() not in vocab for s, f in zip(sentences, folds) if f == k for t in s)
    assert report["unseen"]["tokens"] == unseen > 0
    assert report["seen"]["tokens"] + unseen == report["all"]["tokens"] == sum(map(len, sentences))
    assert set(report["all"]) == {"accuracy", "macro_f1", "tokens"} and 0 <= report["all"]["accuracy"] <= 1
    assert set(next(iter(report["per_label"].values()))) == {"precision", "recall", "f1", "support"}
    assert len(report["folds"]) == 2


def test_train_writes_a_model_that_tag_uses(tmp_path, capsys):
    out = tmp_path / "model"
    assert main(["etymology", "train", "--out", str(out), "--max-sentences", "20", "--model-config", TINY]) == 0
    text = tmp_path / "in.txt"
    text.write_text("Il-Gvern qal hekk. Dr. Borg wieġeb.\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["tag", "--model", str(out), "--batch-tokens", "16", str(text)]) == 0
    blocks = capsys.readouterr().out.strip("\n").split("\n\n")
    assert [[line.split("\t")[0] for line in b.splitlines()] for b in blocks] == [
        ["Il-", "Gvern", "qal", "hekk", "."], ["Dr.", "Borg", "wieġeb", "."]
    ]
    assert main(["tag", "--model", str(tmp_path / "missing"), str(text)]) == 2
    assert main(["tag", "--model", str(out), str(tmp_path / "nope.txt")]) == 2


@pytest.mark.skipif(not (DEFAULT_MODEL_DIR / "config.json").is_file(), reason="default model not trained yet")
def test_shipped_default_model_loads_and_tags(capsys, monkeypatch):
    engine = EtymologyEngine.from_pretrained(device="cpu", threads=1)
    labels, probs = engine.tag([["Il-", "Gvern", "Nazzjonalista", "qal", "li", "l-", "petrol", "stations", "."]])[0]
    assert labels[0] == "Arabic" and labels[1] == "Non-Arabic" and labels[-1] == "Symbol"
    assert labels[6:8] == ["Code-Switching", "Code-Switching"] and all(0.2 < p <= 1 for p in probs)
    annotations = read_annotations()
    tagged = engine.tag([list(a.tokens) for a in annotations])
    right = sum(p == g for a, (labels, _) in zip(annotations, tagged) for p, g in zip(labels, a.merged))
    assert right / sum(len(a.tokens) for a in annotations) > 0.98  # its own training data
    import io

    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"Il-Qorti qalet.\n"), encoding="utf-8"))
    assert main(["tag", "--format", "jsonl"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["tokens"] == ["Il-", "Qorti", "qalet", "."] and record["etymology"][-1] == "Symbol"


def test_documents_come_from_mudt_sent_ids_and_mismatches_are_refused(tmp_path):
    from curate.errors import CurateError
    from curate.maltese.etymology.documents import annotation_documents

    sentences = [list(a.tokens) for a in read_annotations()]
    documents = annotation_documents(sentences)
    counts = {d: documents.count(d) for d in dict.fromkeys(documents)}
    assert len(counts) == 8 and counts["30_01P05"] == 219 and counts["38_02P06"] == 58
    assert documents[0] == "02_02J01" and documents[-1] == "38_02P06"
    with pytest.raises(CurateError, match="differs from annotated sentence 1"):
        annotation_documents([sentences[0], ["not", "MUDT"]])


def test_eval_leave_one_document_out_with_both_lexicon_protocols(capsys):
    assert main(["etymology", "eval", "--split", "documents", "--lexicon", "both", "--max-sentences", "60",
                 "--jobs", "1", "--model-config", TINY, "--json"]) == 0
    reports = json.loads(capsys.readouterr().out)
    assert set(reports) == {"full", "none"}
    for lexicon, report in reports.items():
        protocol = report["protocol"]
        assert protocol["lexicon"] == lexicon and protocol["split"] == "documents"
        # the first 60 sentences span 3 documents: one fold each, test fold = that document's sentences
        assert protocol["documents"] == {"02_02J01": 43, "04_04J01": 11, "06_06J01": 6}
        assert [f["test_sentences"] for f in report["folds"]] == [43, 11, 6]
        assert report["all"]["tokens"] == sum(len(a.tokens) for a in read_annotations()[:60])
    assert main(["etymology", "eval", "--first-folds", "0", "--model-config", TINY]) == 2


def test_lexicon_none_hides_every_table_feature_and_dropout_hides_some():
    from curate.maltese.etymology.features import LEXICAL, TypeFeaturizer
    from curate.maltese.etymology.lexicon import load_lexicon

    lexicon = load_lexicon()
    full = TypeFeaturizer("abcdefghijklmnopqrstuvwxyzċġħż", lexicon.ngrams, lexicon, 24)
    none = full.without_tables()
    for token in ("Maġistrat", "petrol", "qalet", "Il-"):
        assert lexicon.tables["en"].get(token) is not None
        with_tables, without = full(token)[1], none(token)[1]
        assert with_tables[LEXICAL].any() and not without[LEXICAL].any()
        mask = np.ones(len(without), dtype=bool)
        mask[LEXICAL] = False
        assert np.array_equal(with_tables[mask], without[mask])  # shape and n-grams are untouched
    # a token the tables lack reads exactly what --lexicon none gives every token: that protocol is the
    # promise for `curate tag` on text outside the tables
    for token in ("xkaffarijiet", "Żebbuġjani", "stationsz"):
        assert lexicon.tables["en"].get(token) is None and lexicon.tables["ar"].get(token) is None
        assert np.array_equal(full(token)[1], none(token)[1])
    full.set_lexicon_dropout(0.5, seed=1)
    hidden = [not full("Maġistrat")[1][LEXICAL].any() for _ in range(200)]
    assert 60 < sum(hidden) < 140
    full.set_lexicon_dropout(0.0, seed=1)
    assert all(full("Maġistrat")[1][LEXICAL].any() for _ in range(20))
