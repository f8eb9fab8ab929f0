"""EntityMasker: WEP, PEP (MRS/MS/M), MLM and +MLM on real Hugging Face tokenizers that need no download."""

import hashlib

import numpy as np
import pytest
from tokenizers import Tokenizer, models, pre_tokenizers, processors, trainers
from transformers import ByT5Tokenizer, PreTrainedTokenizerFast

from curate.transforms import EntityMasker
from curate.transforms.masking import IGNORE, strip_tags

SENT = "Every <de>Buch</de> written by <de>Douglas Adams</de> sold well in <de>Bielefeld</de>."
CORPUS = ["Every Buch written by Douglas Adams sold well in Bielefeld .", "The writer met the goalkeeper in a city ."]


@pytest.fixture(scope="module")
def byt5():
    return ByT5Tokenizer()


@pytest.fixture(scope="module")
def wordpiece():
    tk = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tk.pre_tokenizer = pre_tokenizers.Whitespace()
    tk.train_from_iterator(CORPUS * 5, trainers.WordPieceTrainer(
        vocab_size=120, special_tokens=["[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"]))
    tk.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 1), ("[SEP]", 2)])
    return PreTrainedTokenizerFast(tokenizer_object=tk, unk_token="[UNK]", cls_token="[CLS]", sep_token="[SEP]",
                                   pad_token="[PAD]", mask_token="[MASK]")


def masker(tok, strategy, **kw):
    if tok.mask_token_id is None:
        kw.setdefault("mask_token_id", tok.convert_tokens_to_ids("<extra_id_0>"))
    return EntityMasker(tok, strategy, **kw)


def entity_positions(tok, text):
    plain, spans = strip_tags(text)
    ids = tok(plain)["input_ids"]
    return plain, spans, ids


def test_strip_tags():
    assert strip_tags(SENT) == ("Every Buch written by Douglas Adams sold well in Bielefeld.",
                                [(6, 10), (22, 35), (49, 58)])


def test_wep_masks_whole_entities_and_never_random(byt5):
    m = masker(byt5, "wep")
    plain, spans, ids = entity_positions(byt5, SENT)
    for seed in range(20):
        m.seed = seed
        out = m({"cs_sentence": SENT})
        assert out["input_ids"] != ids or all(x != IGNORE for x in out["labels"][6:10])
        for s, e in spans:  # ByT5 is one token per ASCII byte: token t is character t
            got = out["input_ids"][s:e]
            assert got == [m.mask_id] * (e - s) or got == ids[s:e]  # whole entity, no random tokens
            assert out["labels"][s:e] == ids[s:e]  # p = 1.0 and keep_same: every entity is in the loss
        outside = [t for t in range(len(ids)) if not any(s <= t < e for s, e in spans)]
        assert all(out["labels"][t] == IGNORE and out["input_ids"][t] == ids[t] for t in outside)
        assert out["attention_mask"] == [1] * len(ids)


def test_wep_matches_hand_computed_draws(byt5):
    m = masker(byt5, "wep", seed=7)
    out = m({"cs_sentence": SENT})
    digest = hashlib.blake2b(SENT.encode(), digest_size=8).digest()
    rng = np.random.default_rng([7, int.from_bytes(digest, "little")])
    expected = []
    for _ in range(3):
        assert rng.random() < 1.0
        expected.append(rng.random() < 0.8)
    _, spans, _ = entity_positions(byt5, SENT)
    assert [out["input_ids"][s] == m.mask_id for s, _ in spans] == expected


def test_pep_variants_proportions_and_loss(wordpiece):
    text = " ".join([SENT] * 6)
    ids = wordpiece(strip_tags(text)[0])["input_ids"]
    counts = {}
    for strategy in ("pep_mrs", "pep_ms", "pep_m"):
        c = {"mask": 0, "same_in_loss": 0, "same_out": 0, "random": 0}
        for seed in range(60):
            out = masker(wordpiece, strategy, seed=seed, max_length=512)({"cs_sentence": text})
            for t, (new, lab) in enumerate(zip(out["input_ids"], out["labels"], strict=False)):
                if new == wordpiece.mask_token_id:
                    c["mask"] += 1
                    assert lab == ids[t]
                elif new != ids[t]:
                    c["random"] += 1
                    assert lab == ids[t]
                elif lab != IGNORE:
                    c["same_in_loss"] += 1
        counts[strategy] = c
    total = {s: sum(c.values()) for s, c in counts.items()}
    assert counts["pep_m"]["same_in_loss"] == counts["pep_m"]["random"] == 0
    assert counts["pep_ms"]["random"] == 0 and 0.12 < counts["pep_ms"]["same_in_loss"] / total["pep_ms"] < 0.28
    mrs = counts["pep_mrs"]
    assert 0.74 < mrs["mask"] / total["pep_mrs"] < 0.86
    assert 0.05 < (mrs["random"]) / total["pep_mrs"] < 0.16  # a random draw can hit the same id: counted as same


def test_mlm_and_plus_mlm(wordpiece):
    text = " ".join([SENT] * 8)
    plain, spans = strip_tags(text)
    enc = wordpiece(plain, return_offsets_mapping=True)
    in_entity = [any(a < e and b > s for s, e in spans) and a != b for a, b in enc["offset_mapping"]]
    mlm = [masker(wordpiece, "mlm", seed=s, max_length=512)({"cs_sentence": text}) for s in range(30)]
    rate = np.mean([lab != IGNORE for o in mlm for lab in o["labels"][1:-1]])
    assert 0.10 < rate < 0.20
    plus = [masker(wordpiece, "wep_mlm", seed=s, max_length=512)({"cs_sentence": text}) for s in range(30)]
    ent_rate = np.mean([lab != IGNORE for o in plus for lab, ie in zip(o["labels"], in_entity, strict=False) if ie])
    other_rate = np.mean([lab != IGNORE for o in plus for lab, ie in zip(o["labels"][1:-1], in_entity[1:-1], strict=False) if not ie])
    assert 0.38 < ent_rate < 0.62 and 0.10 < other_rate < 0.20
    assert all(o["labels"][0] == IGNORE and o["labels"][-1] == IGNORE for o in plus)  # [CLS]/[SEP] never


def test_pep_m_touches_only_entity_tokens_with_fast_and_slow_tokenizers(wordpiece, byt5):
    plain, spans = strip_tags(SENT)
    enc = wordpiece(plain, return_offsets_mapping=True)
    fast_entity = {t for t, (a, b) in enumerate(enc["offset_mapping"]) if a != b and any(a < e and b > s for s, e in spans)}
    slow_entity = {t for s, e in spans for t in range(s, e)}  # ByT5: one token per ASCII character
    for tok, entity in ((wordpiece, fast_entity), (byt5, slow_entity)):
        masked_any = set()
        for seed in range(10):
            m = masker(tok, "pep_m", seed=seed)
            out = m({"cs_sentence": SENT})
            masked = {t for t, x in enumerate(out["input_ids"]) if x == m.mask_id}
            assert masked <= entity
            assert {t for t, lab in enumerate(out["labels"]) if lab != IGNORE} == masked  # PEP_M: only masked in loss
            masked_any |= masked
        assert masked_any == entity


def test_truncated_entity_is_not_a_candidate(byt5):
    out = masker(byt5, "wep", max_length=25)({"cs_sentence": SENT})  # cuts inside "Douglas Adams"
    assert len(out["input_ids"]) == 25
    assert out["labels"][6:10] != [IGNORE] * 4  # Buch is complete
    assert out["labels"][22:24] == [IGNORE] * 2  # Douglas Adams is cut: left alone


def test_deterministic_and_works_in_datasets_map(wordpiece):
    import datasets

    rows = {"cs_sentence": [SENT, SENT.replace("Buch", "Roman"), "No entity here at all ."], "id": ["a", "b", "c"]}
    m = masker(wordpiece, "pep_mrs", seed=3)
    one = [m({"cs_sentence": s, "id": i}) for s, i in zip(rows["cs_sentence"], rows["id"], strict=False)]
    ds = datasets.Dataset.from_dict(rows)
    for bs in (1, 2):
        mapped = ds.map(masker(wordpiece, "pep_mrs", seed=3).batch, batched=True, batch_size=bs)
        assert mapped["input_ids"] == [o["input_ids"] for o in one]
        assert mapped["labels"] == [o["labels"] for o in one]
    assert all(x == IGNORE for x in one[2]["labels"])  # no entity, no MLM: nothing in the loss
    other = [masker(wordpiece, "pep_mrs", seed=s)({"cs_sentence": SENT})["input_ids"] for s in range(4, 10)]
    assert any(o != one[0]["input_ids"] for o in other)


def test_errors(byt5):
    with pytest.raises(ValueError, match="unknown masking strategy"):
        EntityMasker(byt5, "nope")
    with pytest.raises(ValueError, match="no mask token"):
        EntityMasker(byt5, "wep")
