"""Etymology-conditioned pipelines: presets, hand composition, alignment, errors, fallbacks."""

from __future__ import annotations

import pytest

from curate.errors import UnknownNameError
from curate.maltese.resources import read_annotations
from curate.maltese.transforms.pipelines import PIPELINE_PRESETS, ConditionalPipeline

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
    from curate.maltese.transliteration import MalteseTransliterator

    engine = MalteseTransliterator("deterministic", closed_class=True)
    for preset in ("translit_all", "translit_arabic", "mixed"):
        p = ConditionalPipeline(preset)
        out = p.apply_tokens(TOKENS, LABELS)
        todo = [i for i, label in enumerate(LABELS) if PIPELINE_PRESETS[preset].get(label) == "transliterate"]
        assert [out[i] for i in todo] == [engine.transliterate(TOKENS[i]) for i in todo]
        assert p.stats["transliterated"] == len(todo)


# ---- the token contract: MosesTokenize -> EtymologyTagger -> ConditionalPipeline -------------------------
CHAIN_TEXT = "Il-Gvern ta' għajnuna għall-familji u l-iskola."
MUDT_PIECES = ["Il-", "Gvern", "ta'", "għajnuna", "għall-", "familji", "u", "l-", "iskola", "."]


@pytest.fixture(scope="module")
def tagger():
    from curate.maltese.etymology.inference import DEFAULT_MODEL_DIR

    if not (DEFAULT_MODEL_DIR / "config.json").is_file():
        pytest.skip("default etymology model not trained yet")
    from curate.transforms import EtymologyTagger

    return EtymologyTagger(device="cpu")


def _moses():
    import warnings

    from curate.transforms.moses import MosesTokenize

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # no Maltese nonbreaking prefixes in sacremoses
        return MosesTokenize(lang="mt")


def _check_chain_output(record: dict) -> None:
    # Moses keeps the articles fused; the tagger hands MUDT pieces on, with the input token of each
    assert record["tokens"] == MUDT_PIECES
    assert record["etymology_source"] == [0, 0, 1, 2, 3, 3, 4, 5, 5, 6]
    labels = dict(zip(record["tokens"], record["etymology"]))
    assert labels["għall-"] == labels["l-"] == labels["Il-"] == "Arabic"
    assert labels["familji"] == labels["iskola"] == "Non-Arabic"
    out = dict(zip(record["tokens"], record["tokens_translit_arabic"]))
    # the articles go into Arabic script, the Romance words they were fused to stay Latin
    assert out["familji"] == "familji" and out["iskola"] == "iskola" and out["Gvern"] == "Gvern"
    assert all("\u0600" <= c <= "\u06ff" for c in out["għall-"] + out["l-"] + out["Il-"] if c.isalpha())


def test_chain_direct_never_labels_fused_tokens(tagger):
    moses, pipeline = _moses(), ConditionalPipeline("translit_arabic")
    tokens = moses({"text": CHAIN_TEXT})["tokens"]
    assert "għall-familji" in tokens and "l-iskola" in tokens  # what Moses gives
    record = next(pipeline.process(tagger.process([moses({"text": CHAIN_TEXT})])))
    _check_chain_output(record)
    assert tagger.stats["tokens_fused"] >= 3


def test_chain_with_datasets_map(tagger):
    from datasets import Dataset

    moses, pipeline = _moses(), ConditionalPipeline("translit_arabic")
    ds = Dataset.from_dict({"text": [CHAIN_TEXT, "Il-Qorti qalet."]})
    for step in (moses, tagger, pipeline):
        ds = ds.map(step.batch, batched=True, batch_size=2)
    _check_chain_output(ds[0])
    assert ds[1]["tokens"] == ["Il-", "Qorti", "qalet", "."] and ds[1]["etymology_source"] == [0, 0, 1, 2]


def test_chain_as_a_datatrove_pipeline(tagger):
    from datatrove.data import Document

    steps = [_moses(), tagger, ConditionalPipeline("translit_arabic")]
    docs = iter([Document(text=CHAIN_TEXT, id="a")])
    for step in steps:
        docs = step.as_datatrove_step().run(docs)
    (doc,) = list(docs)
    assert doc.text == CHAIN_TEXT and doc.id == "a"
    _check_chain_output(doc.metadata)


def test_map_mode_keeps_input_tokens_and_refuse_mode_names_the_token(tagger):
    from curate.errors import CurateError
    from curate.transforms import EtymologyTagger

    tokens = ["Il-Gvern", "għall-familji", "u", "l-iskola", "."]
    mapped = EtymologyTagger(non_mudt="map")
    mapped._engine = tagger.engine
    record = mapped({"tokens": tokens})
    assert record["tokens"] == tokens and len(record["etymology"]) == 5
    assert record["etymology"][1] == "Non-Arabic"  # the host word familji, not the article
    assert mapped.stats["tokens_fused"] == 3
    refuse = EtymologyTagger(non_mudt="refuse")
    refuse._engine = tagger.engine
    assert refuse({"tokens": MUDT_PIECES})["tokens"] == MUDT_PIECES  # MUDT tokens pass
    with pytest.raises(CurateError, match=r"record 2: token 'Il-Gvern' is not a MUDT token"):
        list(refuse.process([{"tokens": MUDT_PIECES}, {"tokens": tokens}]))
    with pytest.raises(CurateError, match="non_mudt must be one of"):
        EtymologyTagger(non_mudt="merge")
