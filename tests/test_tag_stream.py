"""Type-cached, streamed tagging: same labels whatever the batch size, cache state or code path."""

import itertools

import numpy as np
import pytest
import torch

from curate.formats.conllu import read_conllu
from curate.maltese.etymology.inference import EtymologyEngine
from curate.maltese.etymology.typecache import TypeStore
from curate.maltese.resources import MUDT_DIR, MUDT_SPLITS

ODD = ["", "x" * 1200, "İstanbul", "a\x00b", "😀ħ", "ĦAĦA", "Għ-", "كتاب", "Кирил", "\x1b[31m", "ﬁ", "--"]


@pytest.fixture(scope="module")
def sentences():
    mudt = [s.tokens for s in itertools.islice(read_conllu(MUDT_DIR / MUDT_SPLITS["test"]), 250)]
    return mudt + [[t for t in ODD if t], ["Il-", "Gvern", "."], []]


@pytest.fixture(scope="module")
def backend():
    return EtymologyEngine.from_pretrained(device="cpu", threads=1).backend


def _engine(backend, **kwargs) -> EtymologyEngine:
    return EtymologyEngine(backend, device="cpu", threads=1, **kwargs)


def _same(a, b, atol=1e-4):
    assert [labels for labels, _ in a] == [labels for labels, _ in b]
    for (_, p), (_, q) in zip(a, b, strict=True):
        assert np.allclose(p, q, atol=atol)


def test_cached_path_agrees_with_the_plain_forward(backend, sentences):
    plain = _engine(backend, type_cache_size=0)
    cached = _engine(backend)
    assert plain.store is None and cached.store is not None
    _same(cached.tag(sentences), plain.tag(sentences))
    types = {t for s in sentences for t in s}
    assert cached.stats()["new_types_encoded"] == len(types)  # each type encoded once
    cached.tag(sentences)
    assert cached.stats()["new_types_encoded"] == len(types)  # warm: nothing new


def test_labels_do_not_depend_on_batch_size_or_cache_state(backend, sentences):
    reference = _engine(backend, batch_tokens=100_000).tag(sentences)
    for batch_tokens in (1, 37, 512):
        _same(_engine(backend, batch_tokens=batch_tokens).tag(sentences), reference)
    # a cache smaller than the vocabulary: types are evicted and recomputed in other batches
    small = _engine(backend, batch_tokens=256, type_cache_size=256, max_sentence_tokens=256)
    _same(small.tag(sentences), reference)
    _same(small.tag(list(reversed(sentences)))[::-1], reference)
    assert small.store.evictions > 0 and len(small.store) <= 256


def test_table_encoder_equals_the_convolution(backend, sentences):
    model = backend.model
    types = sorted({t for s in sentences for t in s})
    chars, features, memo = (torch.from_numpy(a) for a in backend.type_inputs(types))
    with torch.inference_mode():
        conv = model.project_types(chars, features, memo)
        tables = model.project_types(chars, features, memo, tables=model.char_tables())
    assert torch.allclose(conv, tables, atol=1e-4)


def test_stream_starts_before_input_ends_and_matches_tag(backend, sentences):
    engine = _engine(backend)
    consumed = []

    def source():
        for s in sentences:
            consumed.append(1)
            yield s

    stream = engine.tag_stream(source(), window_tokens=500)
    first = next(stream)
    assert len(consumed) < len(sentences)  # output before the whole input was read
    out = [first, *stream]
    assert [tokens for tokens, _, _ in out] == sentences
    _same([(labels, probs) for _, labels, probs in out], _engine(backend).tag(sentences))


def test_long_sentences_are_tagged_in_pieces(backend):
    engine = _engine(backend, max_sentence_tokens=64)
    long = (["Il-", "Gvern", "ħabbar", "il-", "baġit", "."] * 50)[:300]
    (labels, probs), (short, _) = engine.tag([long, long[:6]])
    assert len(labels) == len(probs) == 300 and engine.long_sentences_cut == 1
    assert labels[:4] == short[:4]


def test_type_store_evicts_least_recently_used():
    store = TypeStore(dim=2, capacity=3)
    compute = lambda ts: torch.tensor([[float(len(t)), 0.0] for t in ts])  # noqa: E731
    store.slots(["a", "bb", "ccc"], compute)
    store.slots(["a"], compute)  # "a" is now the most recent
    store.slots(["dddd"], compute)  # evicts "bb"
    assert "bb" not in store and "a" in store and store.evictions == 1
    rows = store.slots(["a", "dddd"], compute)
    assert store.data[rows, 0].tolist() == [1.0, 4.0]
    with pytest.raises(ValueError, match="distinct types"):
        store.slots(["w", "x", "y", "z"], compute)
