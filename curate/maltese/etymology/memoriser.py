"""The word memoriser: how often each lower-cased form carried each label in the training data.

The model reads the memoriser's label distribution as one more input and learns when to trust it.
For that lesson to be honest, a training token must see the memoriser as a test token would: built
from *other* sentences. `jackknife` computes the features of every training sentence from the
other inner folds (duplicate sentences stay in one inner fold, so they cannot vouch for each other),
and training tokens whose form occurs nowhere else look unseen, as new words will at test time.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

import numpy as np


class Memoriser:
    def __init__(self, n_labels: int, counts: dict[str, list[int]] | None = None):
        self.n_labels = n_labels
        self.counts: dict[str, list[int]] = counts or {}
        self._cache: dict[str, np.ndarray] = {}

    @property
    def n_features(self) -> int:
        return self.n_labels + 3

    @classmethod
    def from_sentences(cls, sentences: Sequence[Sequence[str]], labels: Sequence[Sequence[int]], n_labels: int) -> Memoriser:
        counts: dict[str, list[int]] = {}
        for tokens, ids in zip(sentences, labels):
            for token, label in zip(tokens, ids):
                counts.setdefault(token.lower(), [0] * n_labels)[label] += 1
        return cls(n_labels, counts)

    def features(self, token: str) -> np.ndarray:
        """[label distribution..., seen, log count, ambiguous]; all zeros for an unseen form."""
        lower = token.lower()
        hit = self._cache.get(lower)
        if hit is None:
            if len(self._cache) >= 500_000:
                self._cache.clear()
            row = self.counts.get(lower)
            hit = np.zeros(self.n_features, dtype=np.float32)
            if row is not None:
                total = sum(row)
                hit[: self.n_labels] = [c / total for c in row]
                hit[self.n_labels] = 1.0
                hit[self.n_labels + 1] = math.log1p(total) / 5.0
                hit[self.n_labels + 2] = float(sum(c > 0 for c in row) > 1)
            self._cache[lower] = hit
        return hit

    def sentence_features(self, tokens: Sequence[str]) -> np.ndarray:
        return np.stack([self.features(t) for t in tokens]) if tokens else np.zeros((0, self.n_features), np.float32)


def duplicate_groups(sentences: Sequence[Sequence[str]]) -> list[int]:
    """Group id per sentence: exact duplicates (same token sequence) share a group."""
    first: dict[tuple[str, ...], int] = {}
    return [first.setdefault(tuple(s), len(first)) for s in sentences]


def jackknife(
    sentences: Sequence[Sequence[str]], labels: Sequence[Sequence[int]], n_labels: int, folds: int, seed: int
) -> list[np.ndarray]:
    """Out-of-fold memoriser features for every training sentence ([tokens, n_labels + 3] each)."""
    groups = duplicate_groups(sentences)
    order = sorted(set(groups))
    random.Random(seed).shuffle(order)
    fold_of_group = {g: i % folds for i, g in enumerate(order)}
    fold_of = [fold_of_group[g] for g in groups]
    out: list[np.ndarray] = [np.zeros(0)] * len(sentences)
    for k in range(folds):
        train_idx = [i for i, f in enumerate(fold_of) if f != k]
        memo = Memoriser.from_sentences([sentences[i] for i in train_idx], [labels[i] for i in train_idx], n_labels)
        for i, f in enumerate(fold_of):
            if f == k:
                out[i] = memo.sentence_features(sentences[i])
    return out
