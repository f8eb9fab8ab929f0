"""Any HF token-classification backbone trains and tags through the same code (tiny random BERT, no download)."""

import pytest
import torch

from curate.maltese.etymology.backends import HFBackend, load_backend
from curate.maltese.etymology.inference import EtymologyEngine
from curate.maltese.etymology.train import TrainConfig, save_backend, train_tagger
from curate.maltese.resources import MERGED_LABELS, read_annotations


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory):
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import BertConfig, BertForTokenClassification, PreTrainedTokenizerFast

    chars = sorted({c for a in read_annotations() for t in a.tokens for c in t})
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    vocab = {tok: i for i, tok in enumerate(specials + chars + [f"##{c}" for c in chars])}
    tok = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()  # splits "il-" into "il" + "-": 2 words' worth of pieces
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])]
    )
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]",
                                        cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]")
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(vocab), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=512, num_labels=2)
    path = tmp_path_factory.mktemp("tiny-bert")
    BertForTokenClassification(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def test_backbone_aligns_subwords_to_words(tiny_bert):
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    backend = HFBackend(AutoModelForTokenClassification.from_pretrained(tiny_bert), AutoTokenizer.from_pretrained(tiny_bert))
    batch = backend.encode([["Il-", "Qorti"], ["ta'"]])
    # "Il-" -> [CLS] I ##l - ...: word 0 starts at subword 1, word 1 after the 3 pieces of "Il" + "-"
    assert batch["word_index"].tolist() == [[1, 4], [1, 0]]
    assert batch["word_mask"].tolist() == [[True, True], [True, False]]
    with torch.inference_mode():
        assert backend.word_logits(batch).shape == (2, 2, 2)


def test_backbone_trains_saves_and_tags_like_the_native_model(tiny_bert, tmp_path):
    annotations = read_annotations()[:12]
    sentences = [list(a.tokens) for a in annotations]
    ids = [[MERGED_LABELS.index(x) for x in a.merged] for a in annotations]
    backend = train_tagger(sentences, ids, MERGED_LABELS, TrainConfig(epochs=1, batch_size=4, backbone=str(tiny_bert), threads=1))
    out = save_backend(backend, tmp_path / "finetuned")
    loaded = load_backend(out)
    assert isinstance(loaded, HFBackend) and loaded.labels == list(MERGED_LABELS)
    tagged = EtymologyEngine(loaded, device="cpu", batch_tokens=64, threads=1).tag(sentences)
    assert [len(labels) for labels, _ in tagged] == [len(s) for s in sentences]
    assert {label for labels, _ in tagged for label in labels} <= set(MERGED_LABELS)
    again = EtymologyEngine(loaded, device="cpu", batch_tokens=10_000, threads=1).tag(sentences)
    assert [labels for labels, _ in again] == [labels for labels, _ in tagged]
