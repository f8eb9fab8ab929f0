"""Ranking candidates: a pluggable protocol, a shipped character n-gram LM, deterministic ties.

The reference ranks with Tunisian Arabic KenLM models that cannot be obtained offline. The shipped
substitute is a Witten-Bell interpolated character n-gram model trained on the Arabic side of the
translation tables (`mt-ar.tsv`, `en-ar.tsv`), scored like KenLM's `score(' '.join(word))`: the total
log10 probability of the characters and the end of word, so shorter words are not penalised twice.
Any object with `score(alternatives) -> list[float]` (higher is better) can replace or follow it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Protocol, runtime_checkable

from curate.errors import InputFormatError, OptionError
from curate.maltese.resources import TRANSLATIONS_DIR
from curate.maltese.transliteration.tables import DIACRITICS

ARABIC_SIDES = ("mt-ar.tsv", "en-ar.tsv")
_BOS, _EOS = "\x02", "\x03"


@runtime_checkable
class Ranker(Protocol):
    def score(self, alternatives: Sequence[str]) -> list[float]:
        """One score per alternative; the highest scores survive."""
        ...


def choose(alternatives: Sequence[str], rankers: Sequence[Ranker]) -> str:
    """Each ranker keeps its best-scoring subset, in order; leftover ties go to the first in code point order."""
    if not alternatives:
        raise ValueError("no alternatives to choose from")
    left = list(alternatives)
    for ranker in rankers:
        if len(left) == 1:
            break
        scores = ranker.score(left)
        if len(scores) != len(left):
            raise ValueError(f"{type(ranker).__name__}.score returned {len(scores)} scores for {len(left)} alternatives")
        best = max(scores)
        left = [a for a, s in zip(left, scores, strict=True) if s == best]
    return min(left)


class CharNgramLM:
    """Interpolated Witten-Bell character n-gram model over words (one word = one sequence)."""

    def __init__(self, order: int = 4) -> None:
        if order < 1:
            raise OptionError(f"n-gram order must be at least 1, got {order}")
        self.order = order
        # context (the n-1 previous characters, shorter near the start) → next character → count
        self.counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.vocab: set[str] = {_EOS}

    def add_word(self, word: str) -> None:
        padded = _BOS * (self.order - 1) + word + _EOS
        self.vocab.update(word)
        for i in range(self.order - 1, len(padded)):
            c = padded[i]
            for k in range(self.order):  # contexts of length 0 .. order-1
                self.counts[padded[i - k:i]][c] += 1

    def fit(self, texts: Iterable[str]) -> CharNgramLM:
        for text in texts:
            clean = "".join(c for c in text if c not in DIACRITICS)
            for word in clean.split():
                self.add_word(word)
        self._finish()
        return self

    def _finish(self) -> None:
        self._stats = {h: (sum(nxt.values()), len(nxt)) for h, nxt in self.counts.items()}
        self._uniform = 1.0 / (len(self.vocab) + 1)  # +1: one slot for every unseen character
        self._memo: dict[tuple[str, str], float] = {}

    def prob(self, history: str, c: str) -> float:
        key = (history, c)
        cached = self._memo.get(key)
        if cached is not None:
            return cached
        p = self._uniform
        for k in range(0, min(len(history), self.order - 1) + 1):
            h = history[len(history) - k:] if k else ""
            stats = self._stats.get(h)
            if stats is None:
                break
            total, types = stats
            p = (self.counts[h].get(c, 0) + types * p) / (total + types)
        self._memo[key] = p
        return p

    def logprob(self, word: str) -> float:
        padded = _BOS * (self.order - 1) + word + _EOS
        n = self.order - 1
        return sum(math.log10(self.prob(padded[i - n:i], padded[i])) for i in range(n, len(padded)))

    @classmethod
    def from_corpus(cls, path: str | Path, order: int = 4) -> CharNgramLM:
        """Train on a UTF-8 text file (any layout: words are whitespace-separated)."""
        with Path(path).open(encoding="utf-8") as f:
            return cls(order).fit(f)


def arabic_translation_side(directory: Path = TRANSLATIONS_DIR) -> list[str]:
    texts: list[str] = []
    for name in ARABIC_SIDES:
        path = directory / name
        with path.open(encoding="utf-8") as f:
            for lineno, line in enumerate(f, start=1):
                cols = line.rstrip("\n").split("\t")
                if len(cols) < 2:
                    raise InputFormatError(path, lineno, "expected source<TAB>translation")
                texts.append(cols[-1])  # en-ar.tsv has one 3-column row; its last column is the Arabic
    return texts


@cache
def default_lm(order: int = 4) -> CharNgramLM:
    return CharNgramLM(order).fit(arabic_translation_side())


class CharNgramRanker:
    """The shipped ranker: character n-gram log-probability under `default_lm()` or a given model."""

    def __init__(self, lm: CharNgramLM | None = None) -> None:
        self.lm = lm or default_lm()

    def score(self, alternatives: Sequence[str]) -> list[float]:
        return [self.lm.logprob(a) for a in alternatives]
