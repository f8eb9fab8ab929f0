"""Table distillation (curate.maltese.etymology.distill): the pool, the leak guard, the two-model training."""

import json

import numpy as np
import pytest
import torch

from curate.errors import OptionError
from curate.maltese.etymology import distill
from curate.maltese.etymology.evaluate import cross_validate
from curate.maltese.etymology.lexicon import Lexicon, TranslationTable, load_lexicon
from curate.maltese.etymology.train import TrainConfig, train_tagger
from curate.maltese.resources import MERGED_LABELS, read_annotations

TINY = {"char_dim": 8, "char_filters": 8, "feature_dim": 8, "word_dim": 16, "hidden": 8}


def _lexicon(**tables: dict[str, str]) -> Lexicon:
    return Lexicon({lang: TranslationTable(None, entries) for lang, entries in tables.items()}, ())


def test_pool_leaves_out_training_and_excluded_forms_whatever_their_case():
    lexicon = _lexicon(en={"Qorti": "Court", "qorti": "court", "skola": "school", "ta' xejn": "free"},
                       it={"Gvern": "Governo", "familja": "famiglia", " ": "x"}, ar={"dar": "دار"})
    types = distill.pool(lexicon, seen={"QORTI"}, exclude={"gvern"})
    assert types == ["dar", "familja", "skola"]  # sorted; multiword and blank keys never enter


def test_soft_labels_are_distributions_one_row_per_type():
    annotations = read_annotations()[:20]
    sentences = [list(a.tokens) for a in annotations]
    ids = [[MERGED_LABELS.index(x) for x in a.merged] for a in annotations]
    backend = train_tagger(sentences, ids, MERGED_LABELS,
                           TrainConfig(epochs=1, batch_size=8, jackknife_folds=2, threads=1, distill_types=0), TINY)
    types = ["familja", "Ħamrun", "computer", "x" * 300]
    probs = distill.soft_labels(backend, types, batch_types=3)
    assert probs.shape == (4, len(MERGED_LABELS))
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5) and (probs >= 0).all()


def _data(n: int):
    annotations = read_annotations()[:n]
    return [list(a.tokens) for a in annotations], [[MERGED_LABELS.index(x) for x in a.merged] for a in annotations]


def _pool_divergence(backend, types, targets) -> float:
    """KL(teacher || model) on the types read without their table evidence (cross-entropy minus entropy)."""
    no_tables = backend.featurizer.without_tables()
    with torch.inference_mode():
        cross_entropy = float(distill.loss(backend, no_tables, types, targets, range(len(types))))
    return cross_entropy - float(-(targets * np.log(targets)).sum(axis=1).mean())


def test_the_student_learns_the_teachers_labels_of_the_pool(monkeypatch):
    sentences, ids = _data(30)
    seen_batches, taught = [], []
    original_loss, original_labels = distill.loss, distill.soft_labels
    monkeypatch.setattr(distill, "loss", lambda *a: seen_batches.append(list(a[4])) or original_loss(*a))
    monkeypatch.setattr(distill, "soft_labels", lambda *a: taught.append((a[1], original_labels(*a))) or taught[-1][1])
    base = TrainConfig(epochs=12, lr=0.01, batch_size=8, jackknife_folds=2, seed=3, threads=1, distill_types=0)
    plain = train_tagger(sentences, ids, MERGED_LABELS, base, TINY)
    assert seen_batches == [] and taught == []
    student = train_tagger(sentences, ids, MERGED_LABELS,
                           TrainConfig(**{**base.__dict__, "distill_types": 300, "distill_batch": 128,
                                          "distill_rounds": 1}), TINY)
    assert sorted(map(len, seen_batches)) == [44] * 12 + [128] * 24  # 300 pool types per epoch, in batches
    (pool, targets), = taught
    studied = sorted({i for batch in seen_batches for i in batch})
    types, wanted = [pool[i] for i in studied], targets[studied]
    monkeypatch.setattr(distill, "loss", original_loss)
    # the untaught model (same seed and sentences: the teacher itself, reading no tables) is the baseline;
    # measured 0.042 against 0.087 when written
    assert _pool_divergence(student, types, wanted) < 0.75 * _pool_divergence(plain, types, wanted)


def test_each_round_is_taught_by_the_one_before(monkeypatch):
    sentences, ids = _data(20)
    seen_batches = []
    original = distill.loss
    monkeypatch.setattr(distill, "loss", lambda *a: seen_batches.append(len(a[4])) or original(*a))
    train_tagger(sentences, ids, MERGED_LABELS, TrainConfig(epochs=1, batch_size=8, jackknife_folds=2, threads=1,
                                                            distill_types=300, distill_batch=300, distill_rounds=3), TINY)
    assert seen_batches == [300, 300, 300]


def test_distilled_training_is_repeatable():
    sentences, ids = _data(20)
    config = TrainConfig(epochs=2, batch_size=8, jackknife_folds=2, seed=5, threads=1, distill_types=200, distill_batch=64)
    a, b = (train_tagger(sentences, ids, MERGED_LABELS, config, TINY) for _ in range(2))
    new = [["Il-", "kompjuter", "ġdid", "tal-", "iskola", "ta'", "Ħal", "Qormi", "."]]
    with torch.inference_mode():
        x, y = a.word_logits(a.encode(new)), b.word_logits(b.encode(new))
    assert torch.allclose(x, y, atol=1e-5, rtol=1e-4) and torch.equal(x.argmax(-1), y.argmax(-1))


@pytest.mark.parametrize("bad", [{"distill_rounds": 0}, {"distill_batch": 0}])
def test_distillation_settings_below_one_are_refused(bad):
    sentences, ids = _data(5)
    with pytest.raises(OptionError, match="distill_rounds and distill_batch"):
        train_tagger(sentences, ids, MERGED_LABELS, TrainConfig(epochs=1, threads=1, distill_types=10, **bad), TINY)


def test_train_split_keeps_its_held_out_words_out_of_the_pool(tmp_path, monkeypatch):
    from curate.cli import main

    calls = []
    original = distill.pool
    monkeypatch.setattr(distill, "pool", lambda *a: calls.append(a) or original(*a))
    tiny = json.dumps({**TINY, "epochs": 1, "threads": 1, "distill_types": 32, "distill_rounds": 1})
    assert main(["etymology", "train", "--split", "train", "--max-sentences", "40", "--out", str(tmp_path / "m"),
                 "--model-config", tiny]) == 0
    (_, seen, exclude), = calls
    assert exclude and not {t.lower() for t in seen} >= exclude  # the held-out side's words, not the training ones


def test_cross_validation_keeps_every_test_fold_form_out_of_the_pool(monkeypatch):
    annotations = read_annotations()[:24]
    sentences = [list(a.tokens) for a in annotations]
    gold = [list(a.merged) for a in annotations]
    pools = []
    original = distill.pool
    monkeypatch.setattr(distill, "pool", lambda *a: pools.append(original(*a)) or pools[-1])
    options = {**TINY, "epochs": 1, "batch_size": 8, "jackknife_folds": 2, "distill_types": 64}
    cross_validate(sentences, gold, MERGED_LABELS, options, folds=3, seed=5, grouped=True, jobs=1, lexicons=("none",))
    assert len(pools) == 3
    from curate.maltese.etymology.evaluate import fold_assignment

    folds = fold_assignment(sentences, 3, 5, True)
    table_types = {t.lower() for table in load_lexicon().tables.values() for t in table.entries}
    for k, pool in enumerate(pools):
        test_forms = {t.lower() for s, f in zip(sentences, folds) if f == k for t in s}
        train_forms = {t.lower() for s, f in zip(sentences, folds) if f != k for t in s}
        assert test_forms & table_types  # the guard has something to keep out
        assert not {t.lower() for t in pool} & (test_forms | train_forms)


@pytest.mark.parametrize("value", [0, -1])
def test_no_distillation_when_turned_off(value, monkeypatch):
    monkeypatch.setattr(distill, "pool", lambda *a: pytest.fail("distillation ran"))
    annotations = read_annotations()[:10]
    sentences = [list(a.tokens) for a in annotations]
    ids = [[MERGED_LABELS.index(x) for x in a.merged] for a in annotations]
    train_tagger(sentences, ids, MERGED_LABELS, TrainConfig(epochs=1, batch_size=8, jackknife_folds=2, threads=1,
                                                            distill_types=value), TINY)


def test_english_pool_leaves_out_table_training_and_excluded_forms(tmp_path, monkeypatch):
    words = tmp_path / "english_words.txt"
    words.write_text("the\nmanagement\ncourt\nschool\nfeedback\nfamilja\n", encoding="utf-8")
    monkeypatch.setattr(distill, "ENGLISH_WORDS", words)
    lexicon = _lexicon(en={"The": "The", "familja": "family"}, it={"Qorti": "corte"})
    # table types (any case), training forms and excluded forms stay out; the file's order is kept
    assert distill.english_pool(lexicon, seen={"Feedback"}, exclude={"SCHOOL"}) == ["management", "court"]


def test_the_shipped_english_words_are_lower_case_ascii_and_mostly_outside_the_tables():
    words = distill.ENGLISH_WORDS.read_text(encoding="utf-8").split()
    assert len(words) == len(set(words)) > 20000 and all(w.isascii() and w.isalpha() and w.islower() for w in words)
    pool = distill.english_pool(load_lexicon(), seen=(), exclude=())
    assert "the" in words and "the" not in pool  # MUDT's English tokens are table types
    assert len(pool) > 20000 and "management" not in pool


def test_english_pool_settings_that_cannot_run_are_refused():
    sentences, ids = _data(4)
    for bad in ({"distill_types": 0, "distill_batch": 0}, {"backbone": "some/bert"}):
        with pytest.raises(OptionError, match="english_types"):
            train_tagger(sentences, ids, MERGED_LABELS, TrainConfig(epochs=1, english_types=8, **bad), TINY)


def test_english_words_need_a_code_switching_label():
    with pytest.raises(ValueError, match="Code-Switching"):
        distill.one_hot(3, ["Arabic", "Non-Arabic"], "Code-Switching")


def test_english_pool_teaches_code_switching_from_spelling(monkeypatch):
    sentences, ids = _data(30)
    seen_batches = []
    original_loss = distill.loss
    base = TrainConfig(epochs=8, lr=0.01, batch_size=8, jackknife_folds=2, seed=3, threads=1, distill_types=0)
    plain = train_tagger(sentences, ids, MERGED_LABELS, base, TINY)
    monkeypatch.setattr(distill, "loss", lambda *a: seen_batches.append(list(a[2][i] for i in a[4])) or original_loss(*a))
    taught = train_tagger(sentences, ids, MERGED_LABELS, TrainConfig(**{**base.__dict__, "english_types": 200,
                                                                     "distill_batch": 128}), TINY)
    assert sorted(map(len, seen_batches)) == [72] * 8 + [128] * 8  # 200 English words per epoch
    studied = sorted({w for batch in seen_batches for w in batch})
    pool = distill.english_pool(load_lexicon(), {t for s in sentences for t in s}, ())
    unstudied = [w for w in pool[:3000] if w not in set(studied)][:300]

    def p_cs(backend, types):
        targets = distill.one_hot(len(types), MERGED_LABELS, "Code-Switching")
        with torch.inference_mode():  # cross-entropy against Code-Switching = -mean log P(Code-Switching)
            return float(distill.loss(backend, backend.featurizer.without_tables(), types, targets, range(len(types))))

    monkeypatch.setattr(distill, "loss", original_loss)
    # -mean log P(Code-Switching): 2.43 -> 0.23 studied, 2.44 -> 0.26 never studied, when written
    assert p_cs(taught, studied) < 0.5 * p_cs(plain, studied)
    assert p_cs(taught, unstudied) < 0.5 * p_cs(plain, unstudied)  # spelling generalises to words never studied
