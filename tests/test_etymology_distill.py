"""Table distillation (curate.maltese.etymology.distill): the pool, the leak guard, the two-model training."""

import numpy as np
import pytest
import torch

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
    torch.manual_seed(0)
    backend = train_tagger(sentences, ids, MERGED_LABELS,
                           TrainConfig(epochs=1, batch_size=8, jackknife_folds=2, threads=1, distill_types=0), TINY)
    types = ["familja", "Ħamrun", "computer", "x" * 300]
    probs = distill.soft_labels(backend, types, batch_types=3)
    assert probs.shape == (4, len(MERGED_LABELS))
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5) and (probs >= 0).all()


def test_distilled_training_learns_from_the_pool_and_changes_the_model(monkeypatch):
    annotations = read_annotations()[:30]
    sentences = [list(a.tokens) for a in annotations]
    ids = [[MERGED_LABELS.index(x) for x in a.merged] for a in annotations]
    seen_batches = []
    original = distill.loss
    monkeypatch.setattr(distill, "loss", lambda *a: seen_batches.append(len(a[4])) or original(*a))
    base = TrainConfig(epochs=2, batch_size=8, jackknife_folds=2, seed=3, threads=1, distill_types=0)
    plain = train_tagger(sentences, ids, MERGED_LABELS, base, TINY)
    assert seen_batches == []
    distilled = train_tagger(sentences, ids, MERGED_LABELS,
                             TrainConfig(**{**base.__dict__, "distill_types": 300, "distill_batch": 128,
                                                             "distill_rounds": 1}), TINY)
    assert sorted(seen_batches) == [44, 44, 128, 128, 128, 128]  # 300 pool types per epoch, in batches, 2 epochs
    seen_batches.clear()
    train_tagger(sentences, ids, MERGED_LABELS,
                 TrainConfig(**{**base.__dict__, "epochs": 1, "distill_types": 300, "distill_batch": 300, "distill_rounds": 3}), TINY)
    assert seen_batches == [300, 300, 300]  # three students, each taught by the one before
    new = [["Il-", "kompjuter", "ġdid", "tal-", "iskola"]]
    with torch.inference_mode():
        a = plain.word_logits(plain.encode(new))
        b = distilled.word_logits(distilled.encode(new))
    assert not torch.allclose(a, b)


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
