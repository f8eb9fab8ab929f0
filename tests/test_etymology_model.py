"""The from-scratch tagger: save/load round trip, batch-size invariance, memoriser, lexicon, transform."""

import numpy as np
import pytest
import torch

from curate.maltese.etymology.backends import load_backend
from curate.maltese.etymology.inference import EtymologyEngine
from curate.maltese.etymology.lexicon import read_translation_table
from curate.maltese.etymology.memoriser import Memoriser, duplicate_groups, jackknife
from curate.maltese.etymology.train import TrainConfig, save_backend, train_tagger
from curate.maltese.resources import MERGED_LABELS, read_annotations

TINY = {"char_dim": 8, "char_filters": 8, "feature_dim": 8, "word_dim": 16, "hidden": 8}


@pytest.fixture(scope="module")
def data():
    annotations = read_annotations()[:40]
    sentences = [list(a.tokens) for a in annotations]
    ids = [[MERGED_LABELS.index(x) for x in a.merged] for a in annotations]
    return sentences, ids


@pytest.fixture(scope="module", params=["conv", "lstm"])
def backend(request, data):
    torch.set_num_threads(1)
    sentences, ids = data
    train = TrainConfig(epochs=2, batch_size=8, jackknife_folds=4, seed=1, threads=1)
    return train_tagger(sentences, ids, MERGED_LABELS, train, {**TINY, "context_encoder": request.param})


def test_save_load_round_trip_gives_identical_outputs(backend, data, tmp_path):
    out = save_backend(backend, tmp_path / "model")
    assert (out / "model.safetensors").is_file() and (out / "config.json").is_file()
    loaded = load_backend(out)
    assert loaded.kind == "native" and loaded.labels == list(MERGED_LABELS)
    assert loaded.model.config.memory == backend.model.config.memory  # the memoriser travels with the model
    batch = backend.encode(data[0][:5])
    with torch.inference_mode():
        ours, theirs = backend.word_logits(batch), loaded.word_logits(loaded.encode(data[0][:5]))
    # Two model instances may pick different CPU kernels (seen: 1.5e-8 apart on AMD EPYC), so floats are
    # compared with a tolerance and the decisions exactly.
    assert torch.allclose(ours, theirs, atol=1e-5, rtol=1e-4)
    assert torch.equal(ours.argmax(-1), theirs.argmax(-1))


def test_labels_do_not_depend_on_batch_size(backend, data):
    sentences = data[0] + [["Il-", "Gvern"], ["."], []]
    results = [EtymologyEngine(backend, device="cpu", batch_tokens=n, threads=1).tag(sentences) for n in (1, 37, 100_000)]
    for other in results[1:]:
        assert [labels for labels, _ in other] == [labels for labels, _ in results[0]]
        for (_, p), (_, q) in zip(other, results[0]):
            assert np.allclose(p, q, atol=1e-5)
    assert results[0][-1] == ([], [])
    assert all(len(labels) == len(s) for (labels, _), s in zip(results[0], sentences))


def test_jackknife_memory_comes_from_other_sentences_only():
    sentences = [["a", "b"], ["a", "c"], ["a", "b"], ["d"]]
    labels = [[0, 1], [0, 2], [0, 1], [3]]
    assert duplicate_groups(sentences) == [0, 1, 0, 2]
    memory = jackknife(sentences, labels, 5, folds=3, seed=0)
    # "d" and "c" occur in one sentence only: out of fold they look unseen
    assert memory[3][0].sum() == 0 and memory[1][1].sum() == 0
    # duplicates share an inner fold, so sentence 0's "b" is not vouched for by its twin
    assert memory[0][1].sum() == 0
    full = Memoriser.from_sentences(sentences, labels, 5).features("A")
    assert full[0] == 1.0 and full[5] == 1.0  # case-insensitive, seen


def test_translation_table_counts_malformed_rows(tmp_path):
    path = tmp_path / "mt-en.tsv"
    path.write_text("kelb\tdog\nbad row\nx\ty\tz\nkelb\tcat\nvojt\t \n", encoding="utf-8")
    table = read_translation_table(path)
    assert table.entries == {"kelb": "dog"}
    assert dict(table.skipped) == {"wrong_column_count": 2, "duplicate_key": 1, "empty_side": 1}
    assert table.get("Kelb") == "dog"  # falls back to the lower-cased key


def test_transform_tags_tokens_and_raw_text_in_order(backend, data):
    from datasets import Dataset

    from curate.transforms import EtymologyTagger

    tagger = EtymologyTagger(window=2)
    tagger._engine = EtymologyEngine(backend, device="cpu", threads=1)
    records = [{"tokens": data[0][0]}, {"text": "Il-Qorti qalet hekk. Dr. Borg wieġeb."}, {"other": 1}]
    out = list(tagger.process(iter(records)))
    assert len(out[0]["etymology"]) == len(data[0][0]) == len(out[0]["etymology_prob"])
    assert out[1]["tokens"] == ["Il-", "Qorti", "qalet", "hekk", ".", "Dr.", "Borg", "wieġeb", "."]
    assert len(out[1]["etymology"]) == 9 and all(0 < p <= 1 for p in out[1]["etymology_prob"])
    assert out[2]["etymology"] == [] and tagger.stats["records_without_tokens_or_text"] == 1
    assert tagger.tag_sentences([data[0][0]])[0][0] == out[0]["etymology"]
    mapped = Dataset.from_dict({"tokens": data[0][:5]}).map(tagger.batch, batched=True, batch_size=2)
    assert mapped["etymology"] == [labels for labels, _ in tagger.tag_sentences(data[0][:5])]


def test_transform_runs_as_a_datatrove_step(backend):
    from datatrove.data import Document

    from curate.transforms import EtymologyTagger

    tagger = EtymologyTagger()
    tagger._engine = EtymologyEngine(backend, device="cpu", threads=1)
    docs = [Document(text="Il-Qorti qalet hekk.", id="a"), Document(text="L-aħwa tressqu.", id="b")]
    out = list(tagger.as_datatrove_step().run(iter(docs)))
    assert [d.id for d in out] == ["a", "b"]
    assert out[1].metadata["tokens"] == ["L-", "aħwa", "tressqu", "."]
    assert len(out[1].metadata["etymology"]) == 4 == len(out[1].metadata["etymology_prob"])


@pytest.mark.parametrize("use_tables", [True, False])
def test_batched_features_equal_the_one_by_one_definition(use_tables):
    from curate.formats.conllu import read_conllu
    from curate.maltese.etymology.batch_features import featurize_types
    from curate.maltese.etymology.features import TypeFeaturizer
    from curate.maltese.etymology.lexicon import load_lexicon
    from curate.maltese.resources import MUDT_DIR, MUDT_SPLITS

    types = sorted({t for name in MUDT_SPLITS.values() for s in read_conllu(MUDT_DIR / name) for t in s.tokens})
    odd = ["", "x" * 1000, "İstanbul", "ǅemal", "²³", "a\x00b", "😀ħ", "ĦAĦA", "Għ-", "'", "--", "ÀÉ", "ﬁ", "iee",
           "كتاب", "Maġistratxyz", "\ud800"]
    types = types[::3] + odd + [t + "q" for t in types[:300]]  # a third of MUDT's types; new types
    lexicon = load_lexicon()
    featurizer = TypeFeaturizer("abcdefghijklmnopqrstuvwxyzħ'-", lexicon.ngrams, lexicon, 24, use_tables=use_tables)
    chars, features = featurize_types(featurizer, types)
    assert chars.shape == (len(types), 24) and features.shape == (len(types), featurizer.n_features)
    for i, token in enumerate(types):
        assert np.array_equal(chars[i], featurizer._chars(token)), token
        assert np.array_equal(features[i], featurizer._features(token)), token
    cached_chars, cached_features = featurizer.many(types[:50] + types[:10])
    assert np.array_equal(cached_features[50:], features[:10]) and np.array_equal(cached_chars[:50], chars[:50])
    assert featurizer.many([])[1].shape == (0, featurizer.n_features)


def test_wordlist_features_are_exact_lookups_and_batched_equals_one_by_one(monkeypatch):
    from curate.maltese.etymology import wordlists
    from curate.maltese.etymology.batch_features import featurize_types
    from curate.maltese.etymology.features import TypeFeaturizer
    from curate.maltese.etymology.lexicon import load_lexicon
    from curate.maltese.etymology.spelling import maltese_skeleton

    tiny = {"en": {"petrol": 0.5}, "it": {"amministrazioni": 0.6, "certificato": 0.4}, "ar": {"كتب": 0.7}}
    monkeypatch.setattr(wordlists, "load_wordlists", lambda: tiny)  # the real lists take seconds to read
    assert maltese_skeleton("kiteb") == "كتب" and maltese_skeleton("Għamel") == "عمل"
    assert wordlists.wordlist_features("petrol") == [0.5, 0.0, 0.0, 0.0]
    assert wordlists.wordlist_features("amministrazzjoni")[2] == 0.6  # Maltese spelling undone
    assert wordlists.wordlist_features("ċertifikat")[2] == 0.4  # + an Italian ending
    assert wordlists.wordlist_features("Kiteb")[3] == 0.7  # consonant skeleton of an Arabic word
    lexicon = load_lexicon()
    featurizer = TypeFeaturizer("abcdefghijklmnopqrstuvwxyz", lexicon.ngrams, lexicon, 24, wordlists=True)
    types = ["petrol", "kiteb", "amministrazzjoni", "xyz", "Il-"]
    chars, features = featurize_types(featurizer, types)
    assert features.shape[1] == featurizer.n_features == TypeFeaturizer("a", lexicon.ngrams, lexicon, 24).n_features + 4
    for i, token in enumerate(types):
        assert np.array_equal(features[i], featurizer._features(token)), token
