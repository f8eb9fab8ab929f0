"""Seq2SeqTranslator plumbing with a tiny randomly initialised Marian model built here (no download)."""

import sqlite3
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from curate.transforms import Seq2SeqTranslator  # noqa: E402

CORPUS = ["Letter bomb for Kiesbauer", "Find information on the explosion of a letter bomb",
          "Architecture in Berlin", "Pesticides in baby food", "Lake Baikal pollution and the chess championship",
          "Кыргызстан тоолуу өлкө", "Türkiye başkenti Ankara", "solar power ferry accidents glacier wine harvest"]


def make_tiny_model(folder):
    from tokenizers import Tokenizer, models, pre_tokenizers, processors, trainers
    from transformers import MarianConfig, MarianMTModel, PreTrainedTokenizerFast

    tk = Tokenizer(models.WordPiece(unk_token="<unk>"))
    tk.pre_tokenizer = pre_tokenizers.Whitespace()
    tk.train_from_iterator(CORPUS, trainers.WordPieceTrainer(vocab_size=300, special_tokens=["<pad>", "</s>", "<unk>"]))
    tk.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 1)])
    tok = PreTrainedTokenizerFast(tokenizer_object=tk, pad_token="<pad>", eos_token="</s>", unk_token="<unk>")
    tok.save_pretrained(folder)
    cfg = MarianConfig(vocab_size=len(tok), d_model=16, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
                       decoder_attention_heads=2, encoder_ffn_dim=32, decoder_ffn_dim=32, max_position_embeddings=64,
                       init_std=1.0, pad_token_id=0, eos_token_id=1, decoder_start_token_id=0, forced_eos_token_id=1)
    torch.manual_seed(0)
    MarianMTModel(cfg).save_pretrained(folder)  # model.safetensors
    return str(folder)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return make_tiny_model(tmp_path_factory.mktemp("tiny-marian"))


def test_batched_equals_one_at_a_time_and_order_is_kept(tiny, tmp_path):
    mt = Seq2SeqTranslator(tiny, "ky", cache_dir=tmp_path, max_new_tokens=8, batch_size=3)
    texts = CORPUS[:6]
    batched, n_batched = mt.generate(texts, "en", "ky", batched=True)
    single, n_single = mt.generate(texts, "en", "ky", batched=False)
    assert batched == single and n_batched == n_single > 0
    assert len(set(batched)) > 1  # the model is input-sensitive, so a lost order would show
    assert mt.stats["model_batches"] == 2 + 6


def test_length_batches_respect_limits(tiny, tmp_path):
    mt = Seq2SeqTranslator(tiny, "ky", cache_dir=tmp_path, batch_size=4, max_batch_tokens=20)
    batches = mt._batches([3, 10, 5, 10, 2, 4])
    assert sorted(i for b in batches for i in b) == list(range(6))
    for b in batches:
        assert len(b) <= 4 and len(b) * max([3, 10, 5, 10, 2, 4][i] for i in b) <= 20
    assert batches[0] == [1, 3]  # longest first


def test_cache_means_a_rerun_translates_nothing(tiny, tmp_path):
    first = Seq2SeqTranslator(tiny, "ug", cache_dir=tmp_path, max_new_tokens=6)
    out1 = first.translate(["Architecture in Berlin", "Pesticides in baby food", "Architecture in Berlin", ""])
    assert first.stats["translated_texts"] == 2 and out1[0] == out1[2] and out1[3] == ""
    again = Seq2SeqTranslator(tiny, "ug", cache_dir=tmp_path, max_new_tokens=6)
    assert again.translate(["Pesticides in baby food", "Architecture in Berlin"]) == [out1[1], out1[0]]
    assert again.stats["translated_texts"] == 0 and again._model is None  # the model was never even loaded
    other = Seq2SeqTranslator(tiny, "tr", cache_dir=tmp_path, max_new_tokens=6)  # new target: new key
    other.translate(["Architecture in Berlin"])
    assert other.stats["translated_texts"] == 1
    db = sqlite3.connect(str(tmp_path / "translate" / "translations.sqlite"))
    assert db.execute("SELECT COUNT(*) FROM mt").fetchone()[0] == 3


def test_transform_interfaces_record_and_batch(tiny, tmp_path):
    mt = Seq2SeqTranslator(tiny, "tr", cache_dir=tmp_path, max_new_tokens=6, model_name="tiny-marian")
    rec = mt({"topic_id": "C141", "title": "Lake Baikal pollution", "description": "Find documents", "language": "en",
              "origin": "original", "mt_system": None})
    assert rec["language"] == "tr" and rec["origin"] == "machine_translation" and rec["mt_system"] == "tiny-marian"
    assert rec["title"] == mt.translate(["Lake Baikal pollution"])[0]
    out = mt.batch({"title": ["a", "b"], "description": ["c", None]})
    assert len(out["title"]) == 2 and out["description"][1] is None


def test_language_tokens_for_multilingual_vocabularies(tiny, tmp_path):
    mt = Seq2SeqTranslator(tiny, "ky", cache_dir=tmp_path)
    mt._load()
    assert mt._language_setup("en", "ky") == ("", {})  # a pair model: no language token
    mt._tokenizer.add_tokens([">>kir<<"], special_tokens=True)
    assert mt._language_setup("en", "ky") == (">>kir<< ", {})  # multi-target Marian prefix


def test_builder_translate_to_with_tiny_model(tiny, tmp_path, monkeypatch):
    import datasets

    from curate.cli import main

    monkeypatch.setenv("CURATE_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "b"
    args = ["build", "clef-queries", "--sample", "--config", "topics", "--out", str(out), "--no-progress",
            "--collections", "clef2003", "--translate-to", "ky,kg,tr", "--mt-model", tiny, "--source-language", "en"]
    assert main(args) == 0
    rows = list(datasets.load_from_disk(str(out / "topics"))["test"])
    mt = [r for r in rows if r["origin"] == "machine_translation"]
    assert sorted((r["language"], r["topic_id"]) for r in mt) == [("ky", "C141"), ("ky", "C142"), ("tr", "C141"),
                                                                  ("tr", "C142")]  # kg is ky: translated once
    assert {r["mt_system"] for r in mt} == {Path(tiny).name}
    assert {r["language_iso3"] for r in mt} == {"kir", "tur"} and all(r["narrative"] is None for r in mt)
    english = {r["topic_id"]: r["title"] for r in rows if r["language"] == "en"}
    mt_title = Seq2SeqTranslator(tiny, "tr", cache_dir=tmp_path / "cache").translate([english["C141"]])[0]
    assert next(r["title"] for r in mt if r["language"] == "tr" and r["topic_id"] == "C141") == mt_title
