"""Entity-oriented masking for EntityCS-style pretraining: WEP, PEP (MRS / MS / M), MLM and the +MLM mixes.

Input is a sentence with entities in language tags (`<de>Buch</de>`, as `entity-cs` writes them); the
tags are removed and their spans drive the masking, as in `huawei-noah/noah-research:NLP/EntityCS/
cs_pretrain/my_data_collator.py`:
- WEP: each whole entity is chosen with probability p; a chosen entity is fully masked (80%) or left
  as it is (20%), both in the loss; never random tokens.
- PEP: each entity subword is chosen with probability p; 80% masked, the rest random/same (MRS 10/10,
  all in the loss), same (MS, in the loss) or same and out of the loss (M).
- +MLM: p = 0.5 for entities plus standard 15% 80/10/10 masking of the other tokens; `mlm` alone masks
  every token that way.
Output: `input_ids`, `attention_mask`, `labels` (-100 outside the loss). The random draws are seeded by
`seed` and the record's text, so the result does not depend on batching, workers or order.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from curate.errors import OptionError
from curate.transforms.base import Transform

_TAG = re.compile(r"<([a-z]{2,3}(?:-[a-z]+)?)>(.*?)</\1>", re.S)
_ANY_TAG = re.compile(r"</?[a-z]{2,3}(?:-[a-z]+)?>")
IGNORE = -100


@dataclass(frozen=True)
class Strategy:
    entity_probability: float
    partial: bool  # PEP (per subword) instead of WEP (whole entity)
    keep_random: bool  # PEP: 10% random + 10% same instead of 20% same
    keep_same: bool  # unchanged chosen tokens count in the loss
    mlm: bool  # also 15% 80/10/10 masking of the non-entity tokens


STRATEGIES = {  # the EntityCS README table (MASKING, ENTITY_PROB, PARTIAL, KEEP_RANDOM, KEEP_SAME)
    "mlm": Strategy(0.0, False, False, False, True),
    "wep": Strategy(1.0, False, False, True, False),
    "pep_mrs": Strategy(1.0, True, True, True, False),
    "pep_ms": Strategy(1.0, True, False, True, False),
    "pep_m": Strategy(1.0, True, False, False, False),
    "wep_mlm": Strategy(0.5, False, False, True, True),
    "pep_ms_mlm": Strategy(0.5, True, False, True, True),
}


def strip_tags(text: str) -> tuple[str, list[tuple[int, int]]]:
    """`a <de>Buch</de> b` → (`a Buch b`, [(2, 6)]): plain text and entity character spans."""
    out, spans, pos, length = [], [], 0, 0
    for m in _TAG.finditer(text):
        before = _ANY_TAG.sub("", text[pos:m.start()])
        out.append(before)
        length += len(before)
        inner = _ANY_TAG.sub("", m.group(2))
        spans.append((length, length + len(inner)))
        out.append(inner)
        length += len(inner)
        pos = m.end()
    out.append(_ANY_TAG.sub("", text[pos:]))
    return "".join(out), spans


class EntityMasker(Transform):
    name = "entity_masker"

    def __init__(self, tokenizer: Any, strategy: str = "wep", text_key: str | None = None, max_length: int = 128,
                 seed: int = 0, entity_probability: float | None = None, mlm_probability: float = 0.15,
                 mask_token_id: int | None = None):
        super().__init__()
        if strategy not in STRATEGIES:
            raise OptionError(f"unknown masking strategy {strategy!r}; valid: {', '.join(STRATEGIES)}")
        self.tokenizer, self.strategy, self.text_key = tokenizer, STRATEGIES[strategy], text_key
        self.max_length, self.seed, self.mlm_probability = max_length, seed, mlm_probability
        self.p = self.strategy.entity_probability if entity_probability is None else entity_probability
        self.mask_id = tokenizer.mask_token_id if mask_token_id is None else mask_token_id
        if self.mask_id is None:
            raise OptionError(f"{type(tokenizer).__name__} has no mask token: pass mask_token_id= "
                             "(e.g. the id of <extra_id_0> for T5/ByT5)")
        self.vocab_size = len(tokenizer)
        self.special = set(tokenizer.all_special_ids)

    # ---- tokenisation: token ids, the entity of each token (-1: none), special-token flags -------------
    def _encode(self, text: str, spans: list[tuple[int, int]]) -> tuple[list[int], list[int], list[bool]]:
        tok = self.tokenizer
        if getattr(tok, "is_fast", False):
            enc = tok(text, return_offsets_mapping=True, truncation=True, max_length=self.max_length)
            ids, offsets = enc["input_ids"], enc["offset_mapping"]
            special = [i in self.special and a == b for i, (a, b) in zip(ids, offsets, strict=False)]
            covered = max((b for (a, b), s in zip(offsets, special, strict=False) if not s), default=0)
            owner = [-1] * len(ids)
            for k, (s, e) in enumerate(spans):
                if e > covered:
                    continue  # cut by truncation: not a candidate (as in EntityCS)
                for t, (a, b) in enumerate(offsets):
                    if not special[t] and a < e and b > s:
                        owner[t] = k
            return ids, owner, special
        # slow tokenizers have no offsets: tokenise the text between entity boundaries piece by piece
        ids, owner, pos = [], [], 0
        for k, (s, e) in enumerate(spans):
            for piece, who in ((text[pos:s], -1), (text[s:e], k)):
                if piece:
                    pid = tok(piece, add_special_tokens=False)["input_ids"]
                    ids += pid
                    owner += [who] * len(pid)
            pos = e
        tail = tok(text[pos:], add_special_tokens=False)["input_ids"] if text[pos:] else []
        ids, owner = ids + tail, owner + [-1] * len(tail)
        room = self.max_length - tok.num_special_tokens_to_add()
        if len(ids) > room:
            cut = owner[room] if room < len(owner) else -1
            ids, owner = ids[:room], [(-1 if o == cut and o >= 0 else o) for o in owner[:room]]
        full = tok.build_inputs_with_special_tokens(ids)
        special_mask = tok.get_special_tokens_mask(full, already_has_special_tokens=True)
        it = iter(owner)
        owner = [-1 if m else next(it) for m in special_mask]
        return full, owner, [bool(m) for m in special_mask]

    def _rng(self, text: str) -> np.random.Generator:
        digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()
        return np.random.default_rng([self.seed, int.from_bytes(digest, "little")])

    def _replace(self, rng: np.random.Generator, ids: list[int], labels: list[int], t: int, how: str,
                 in_loss: bool) -> None:
        labels[t] = ids[t] if in_loss else IGNORE
        if how == "mask":
            ids[t] = self.mask_id
        elif how == "random":
            ids[t] = int(rng.integers(self.vocab_size))

    def mask(self, marked_text: str) -> dict[str, list[int]]:
        text, spans = strip_tags(marked_text)
        ids, owner, special = self._encode(text, spans)
        ids, labels = list(ids), [IGNORE] * len(ids)
        rng, st = self._rng(marked_text), self.strategy
        groups: dict[int, list[int]] = {}
        for t, k in enumerate(owner):
            if k >= 0:
                groups.setdefault(k, []).append(t)
        for k in sorted(groups):
            if not st.partial:
                if rng.random() < self.p:
                    how = "mask" if rng.random() < 0.8 else "same"
                    for t in groups[k]:
                        self._replace(rng, ids, labels, t, how, how == "mask" or st.keep_same)
                continue
            for t in groups[k]:
                if rng.random() >= self.p:
                    continue
                r = rng.random()
                how = "mask" if r < 0.8 else ("random" if st.keep_random and r < 0.9 else "same")
                self._replace(rng, ids, labels, t, how, how != "same" or st.keep_same)
        if st.mlm:
            for t in range(len(ids)):
                if special[t] or (owner[t] >= 0 and self.p > 0) or rng.random() >= self.mlm_probability:
                    continue
                r = rng.random()
                self._replace(rng, ids, labels, t, "mask" if r < 0.8 else "random" if r < 0.9 else "same", True)
        self.count("entities", len(groups))
        self.count("masked_tokens", sum(1 for x in labels if x != IGNORE))
        return {"input_ids": ids, "attention_mask": [1] * len(ids), "labels": labels}

    def apply(self, record: dict) -> dict:
        key = self.text_key or ("cs_sentence" if record.get("cs_sentence") else "en_sentence")
        return {**record, **self.mask(record[key])}
