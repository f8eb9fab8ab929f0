"""Table distillation: what the translation tables know about ~31k types, learnt from spelling alone.

The annotations hold ~3.5k types; the shipped translation tables ~31k. A model trained on the annotations
*with* the tables (the teacher) gives soft labels to every table type the annotations lack. A fresh model
(the student) then trains on the annotated sentences plus those types with their table evidence hidden,
so the teacher's knowledge can only be learnt through the character encoder and the table-free features.
Text outside the tables then meets an encoder that has read ten times more types.

Leak guard: `pool` takes the types to keep out. Cross-validation passes every test-fold form, so the
`--lexicon none` protocol still measures tokens the student never met in any form, as real text will be.

English pool (`english_pool`): Code-Switching in Maltese text is mostly unadapted English, and the
annotations hold ~400 such tokens, so a model meets few English spellings. Common English words that
are neither table types (the tables hold the Maltese side of MUDT's vocabulary, English tokens included)
nor training or excluded forms are learnt as Code-Switching, read alone, tables hidden, like pool types.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch

from curate.maltese.etymology.lexicon import Lexicon
from curate.maltese.resources import DATA_DIR

ENGLISH_WORDS = DATA_DIR / "english" / "english_words.txt"  # scripts/make_english_words.py

if TYPE_CHECKING:
    from curate.maltese.etymology.backends import NativeBackend
    from curate.maltese.etymology.features import TypeFeaturizer


def pool(lexicon: Lexicon, seen: Collection[str], exclude: Collection[str]) -> list[str]:
    """Table types (sorted, case kept) whose lower-cased form is neither in training data nor excluded."""
    keep_out = {t.lower() for t in seen} | {t.lower() for t in exclude}
    types = {t for table in lexicon.tables.values() for t in table.entries}
    return sorted(t for t in types if t.strip() and not any(c.isspace() for c in t) and t.lower() not in keep_out)


def english_pool(lexicon: Lexicon, seen: Collection[str], exclude: Collection[str]) -> list[str]:
    """Shipped English words (most frequent first) that are no table type, training form or excluded form."""
    keep_out = {t.lower() for table in lexicon.tables.values() for t in table.entries}
    keep_out |= {t.lower() for t in seen} | {t.lower() for t in exclude}
    words = ENGLISH_WORDS.read_text(encoding="utf-8").split()
    return [w for w in words if w not in keep_out]


def one_hot(n: int, labels: Sequence[str], label: str) -> np.ndarray:
    if label not in labels:
        raise ValueError(f"the English pool needs a {label!r} label; the labels are {list(labels)}")
    out = np.zeros((n, len(labels)), dtype=np.float32)
    out[:, list(labels).index(label)] = 1.0
    return out


@torch.no_grad()
def soft_labels(backend: NativeBackend, types: Sequence[str], batch_types: int = 2048) -> np.ndarray:
    """[len(types), labels] teacher probabilities, each type read alone (one-token sentence) with its
    table evidence and an empty memoriser row (the pool holds no training form)."""
    model = backend.model
    was_training = model.training
    model.eval()
    out = []
    try:
        for start in range(0, len(types), batch_types):
            chunk = [[t] for t in types[start : start + batch_types]]
            zeros = [np.zeros((1, backend.memoriser.n_features), dtype=np.float32)] * len(chunk)
            logits = backend.word_logits(backend.encode(chunk, memory=zeros))[:, 0]
            out.append(torch.softmax(logits.float(), dim=-1).numpy())
    finally:
        model.train(was_training)
    return np.concatenate(out) if out else np.zeros((0, len(backend.labels)), dtype=np.float32)


def batches(types: Sequence[str], per_epoch: int, batch_types: int, rng: random.Random) -> list[list[int]]:
    """`per_epoch` pool indices (all when the pool is smaller), sampled afresh, cut into batches."""
    chosen = list(range(len(types)))
    rng.shuffle(chosen)
    chosen = chosen[:per_epoch]
    return [chosen[i : i + batch_types] for i in range(0, len(chosen), batch_types)]


def loss(
    backend: NativeBackend, no_tables: TypeFeaturizer, types: Sequence[str], targets: np.ndarray, idx: Sequence[int]
) -> torch.Tensor:
    """Soft cross-entropy of the student on pool types read alone, table evidence hidden."""
    full = backend.featurizer
    backend.featurizer = no_tables
    try:
        zeros = [np.zeros((1, backend.memoriser.n_features), dtype=np.float32)] * len(idx)
        logits = backend.word_logits(backend.encode([[types[i]] for i in idx], memory=zeros))[:, 0]
    finally:
        backend.featurizer = full
    return torch.nn.functional.cross_entropy(logits.float(), torch.from_numpy(targets[list(idx)]))
