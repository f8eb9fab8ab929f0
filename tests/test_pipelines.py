"""Etymology-conditioned pipelines: presets, hand composition, alignment, errors, fallbacks."""

from __future__ import annotations

import pytest

from curate.errors import UnknownNameError
from curate.maltese.resources import read_annotations
from curate.transforms.pipelines import PIPELINE_PRESETS, ConditionalPipeline

TOKENS = ["Il-", "Maġistrat", "Miriam", "qalet", "li", "self", "employed", ",", "xyzzyq"]
LABELS = ["Arabic", "Non-Arabic", "Name", "Arabic", "Arabic", "Code-Switching", "Code-Switching", "Symbol",
          "Non-Arabic"]


def test_presets_on_a_sentence():
    out = {name: ConditionalPipeline(name).apply_tokens(TOKENS, LABELS) for name in PIPELINE_PRESETS}
    assert out["raw"] == TOKENS
    assert out["translit_arabic"][:5] == ["ال", "Maġistrat", "Miriam", "قلت", "اللي"]
    assert out["translit_arabic"][5:] == TOKENS[5:]
    assert out["translit_all"][1] == "مجسترت" and out["translit_all"][7] == "،"
    assert out["translate_all"][1] == "Magistrate" and out["translate_all"][7] == "Number"  # as upstream
    assert out["mixed"][:5] == ["ال", "Magistrate", "Miriam", "قلت", "اللي"]
    assert out["mixed"][5:8] == ["self", "employed", ","]  # Code-Switching and Symbol kept
    for tokens in out.values():
        assert len(tokens) == len(TOKENS)


def test_oov_translation_keeps_token_and_counts():
    p = ConditionalPipeline("translate_all", translate_to="it")
    assert p.apply_tokens(["xyzzyq"], ["Non-Arabic"]) == ["xyzzyq"]
    assert p.stats["translate_oov"] == 1


def test_fine_labels_and_custom_actions():
    p = ConditionalPipeline(actions={"Name": "transliterate", "Symbol": str.upper, "Non-Arabic": "keep"})
    out = p.apply_tokens(["Farrugia", "iddikjarat", "x"], ["Name (Arabic)", "Mixed", "Symbol"])
    assert out == ["فرج", "iddikjarat", "X"]
    assert p.output_key == "tokens_custom"


def test_unknown_labels_and_names_are_clear_errors():
    with pytest.raises(UnknownNameError, match="unknown etymology label 'Greek'"):
        ConditionalPipeline("raw").apply_tokens(["x"], ["Greek"])
    with pytest.raises(UnknownNameError, match="pipeline preset"):
        ConditionalPipeline("translit_some")
    with pytest.raises(UnknownNameError, match="etymology label"):
        ConditionalPipeline(actions={"arabic": "transliterate"})
    with pytest.raises(UnknownNameError, match="pipeline action"):
        ConditionalPipeline(actions={"Arabic": "romanize"})
    with pytest.raises(UnknownNameError, match="translation system"):
        ConditionalPipeline("raw", translate_to="fr")
    with pytest.raises(ValueError, match="2 tokens but 1"):
        ConditionalPipeline("raw").apply_tokens(["a", "b"], ["Arabic"])


def test_transform_interfaces_on_gold_annotations():
    sents = read_annotations()[:20]
    p = ConditionalPipeline("mixed", labels_key="labels")
    batch = {"tokens": [list(s.tokens) for s in sents], "labels": [list(s.merged) for s in sents]}
    out = p.batch(batch)
    assert [len(t) for t in out["tokens_mixed"]] == [len(s.tokens) for s in sents]
    one = p({"tokens": list(sents[0].tokens), "labels": list(sents[0].merged)})
    assert one["tokens_mixed"] == out["tokens_mixed"][0]
    assert p.stats["translate_oov"] == 0 and p.stats["records"] == 21


def test_transliterator_transform():
    from curate.transforms import Transliterator

    t = Transliterator(closed_class=True, output_key="ar")
    rec = t({"tokens": ["Il-", "karozza"], "id": 1})
    assert rec == {"tokens": ["Il-", "karozza"], "id": 1, "ar": ["ال", "كردز"]}
    assert t.stats["source_lexicon"] == 1 and t.stats["tokens"] == 2
    text = Transliterator(tokens_key=None, text_key="text", closed_class=True, merge_clitics=True)
    assert text({"text": "Il-karozza"})["text"] == "الكردز"
    assert t({"id": 2}) is None and t.stats["dropped_no_token_list"] == 1
    with pytest.raises(ValueError):
        Transliterator(mode="candidates")


def test_batched_transliteration_matches_one_by_one():
    from curate.transliteration import MalteseTransliterator

    engine = MalteseTransliterator("deterministic", closed_class=True)
    for preset in ("translit_all", "translit_arabic", "mixed"):
        p = ConditionalPipeline(preset)
        out = p.apply_tokens(TOKENS, LABELS)
        todo = [i for i, label in enumerate(LABELS) if PIPELINE_PRESETS[preset].get(label) == "transliterate"]
        assert [out[i] for i in todo] == [engine.transliterate(TOKENS[i]) for i in todo]
        assert p.stats["transliterated"] == len(todo)
