"""Per-token evidence for the etymology tagger.

Three kinds of input, all computed from the token string alone (so every feature of a type is cached):
- character ids for the character-level word encoder;
- lexical evidence: similarity of the token to its Italian and English translations (a loan looks like
  its source word: `Maġistrat`/`Magistrato`, `petrol`/`petrol`), presence in the translation tables,
  shape (capitals, digits, punctuation, clitic hyphen/apostrophe), letters that only Maltese (`ħ`, `għ`,
  `ċ`, `ġ`, `ż`, `q`, `x`) or only English/Italian (`c`, `y`) spell with, and the shipped frequent n-grams;
- the word memoriser: the label distribution of the lower-cased form in training data (`memoriser.py`).
Spelling helpers (romance forms, consonant skeletons, similarity) live in `spelling.py`.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import numpy as np

from curate.maltese.etymology.lexicon import Lexicon
from curate.maltese.etymology.spelling import (
    _bigram_dice,
    _in_order,
    _prefix_ratio,
    _strip_accents,
    arabic_skeleton,
    maltese_skeleton,
    romance_form,
    similarity,
)

MALTESE_LETTERS = "ċġħż"
PAD, UNK, BOW, EOW = 0, 1, 2, 3  # character ids with a fixed meaning
SHAPE_FEATURES = 18
ARABIC_FEATURES = 5  # present, identical, latin letters, skeleton similarity, skeleton in order
PER_LANGUAGE = 7  # en and it: present, sim, romance sim, bigram dice, prefix ratio, identical, multiword
WORDLIST_FEATURES = 4  # after the n-grams, when the model's config has `wordlists`: see wordlists.py


def _shape(token: str, lower: str) -> list[float]:
    alnum = [c for c in token if c.isalnum()]
    return [
        float(token[:1].isupper()),
        float(len(token) > 1 and token.isupper()),
        float(token.islower()),
        float(any(c.isdigit() for c in token)),
        float(bool(alnum) and all(c.isdigit() for c in alnum)),
        float(not alnum),
        float("'" in token),
        float(token.endswith("-")),
        float(token.endswith("'")),
        min(len(token), 20) / 20.0,
        float(any(c in MALTESE_LETTERS for c in lower) or "għ" in lower),
        float("q" in lower),
        float("x" in lower),
        float("ie" in lower),
        float(any(c in "cy" for c in lower)),
        float(lower.endswith(("zzjoni", "zzjonijiet", "ment", "tà", "ità", "ija"))),
        float(any(a == b and a.isalpha() for a, b in zip(lower, lower[1:]))),
        float(len(alnum) == 1),
    ]


_SHARED_FEATURES: dict[tuple, dict[str, np.ndarray]] = {}
# the columns that come from the translation tables; all zero for a token missing from them
LEXICAL = slice(SHAPE_FEATURES, SHAPE_FEATURES + 2 * PER_LANGUAGE + ARABIC_FEATURES)


class TypeFeaturizer:
    """Turns a token type into (character ids, static feature vector); results are cached per type.

    `use_tables=False` tags as if no token were in the translation tables (real text outside their
    31k types). `lexicon_dropout` (training only) hides the table evidence of a type with that
    probability at each call, so the model learns to do without it for tokens the tables lack.
    """

    def __init__(
        self, alphabet: str, ngrams: tuple[str, ...], lexicon: Lexicon, max_chars: int, cache_size: int = 500_000,
        use_tables: bool = True, wordlists: bool = False,
    ):
        self.char_index = {c: i + 4 for i, c in enumerate(alphabet)}
        self.ngrams = ngrams
        self.lexicon = lexicon
        self.max_chars = max_chars
        self.cache_size = cache_size
        self.use_tables = use_tables
        self.wordlists = wordlists
        self.lexicon_dropout = 0.0
        self._drop_rng = random.Random(0)
        self._cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        # static features depend only on the n-grams and whether tables are used (the lexicon is the
        # shipped one), so every featurizer in the process shares them: CV folds compute each type once
        self._features_cache = _SHARED_FEATURES.setdefault((tuple(ngrams), use_tables, wordlists), {})

    def set_lexicon_dropout(self, p: float, seed: int) -> None:
        self.lexicon_dropout = p
        self._drop_rng = random.Random(seed)

    def without_tables(self) -> TypeFeaturizer:
        """The same featurizer as if no token were in the translation tables (the `--lexicon none` protocol)."""
        return TypeFeaturizer("".join(self.char_index), self.ngrams, self.lexicon, self.max_chars, self.cache_size,
                              use_tables=False, wordlists=self.wordlists)

    @property
    def n_features(self) -> int:
        return SHAPE_FEATURES + 2 * PER_LANGUAGE + ARABIC_FEATURES + len(self.ngrams) + WORDLIST_FEATURES * self.wordlists

    def __call__(self, token: str) -> tuple[np.ndarray, np.ndarray]:
        hit = self._cache.get(token)
        if hit is None:
            if len(self._cache) >= self.cache_size:  # bounded memory on endless streams
                self._cache.clear()
            features = self._features_cache.get(token)
            if features is None:
                if len(self._features_cache) >= self.cache_size:
                    self._features_cache.clear()
                features = self._features_cache[token] = self._features(token)
            hit = self._cache[token] = (self._chars(token), features)
        if self.lexicon_dropout and self._drop_rng.random() < self.lexicon_dropout:
            features = hit[1].copy()
            features[LEXICAL] = 0.0
            return hit[0], features
        return hit

    def many(self, types: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(character ids [N, max_chars], features [N, n_features]) of many types: cached types are looked
        up, new ones computed together by `batch_features.featurize_types` (vectorised, ~7x the one-by-one
        path). No lexicon dropout here: this is the inference path."""
        from curate.maltese.etymology.batch_features import featurize_types

        new = [t for t in dict.fromkeys(types) if t not in self._cache]
        if new:
            if len(self._cache) + len(new) > self.cache_size:
                self._cache.clear()
                new = list(dict.fromkeys(types))
            chars, features = featurize_types(self, new)
            for t, c, f in zip(new, chars, features):
                self._cache[t] = (c, f)
        if not types:
            return np.zeros((0, self.max_chars), dtype=np.int64), np.zeros((0, self.n_features), dtype=np.float32)
        hits = [self._cache[t] for t in types]
        return np.stack([c for c, _ in hits]), np.stack([f for _, f in hits])

    def _chars(self, token: str) -> np.ndarray:
        lower = token.lower()
        if len(lower) > self.max_chars - 2:  # keep both ends: prefixes and suffixes carry the morphology
            half = (self.max_chars - 2) // 2
            lower = lower[:half] + lower[-(self.max_chars - 2 - half) :]
        ids = [BOW] + [self.char_index.get(c, UNK) for c in lower] + [EOW]
        return np.array(ids + [PAD] * (self.max_chars - len(ids)), dtype=np.int64)

    def _features(self, token: str) -> np.ndarray:
        lower = token.lower()
        values = _shape(token, lower)
        romance = romance_form(token)
        tables = self.lexicon.tables if self.use_tables else {}
        for lang in ("en", "it"):
            translation = tables[lang].get(token) if tables else None
            if translation is None:
                values += [0.0] * PER_LANGUAGE
                continue
            t_lower = _strip_accents(translation.lower())
            values += [
                1.0,
                similarity(_strip_accents(lower), t_lower),
                similarity(romance, romance_form(translation)),
                _bigram_dice(romance, romance_form(translation)),
                _prefix_ratio(romance, romance_form(translation)),
                float(lower == translation.lower()),
                float(" " in translation.strip()),
            ]
        arabic = tables["ar"].get(token) if tables else None
        skeleton = maltese_skeleton(token)
        arabic_words = [arabic_skeleton(w) for w in (arabic or "").split()] or [""]
        values += [
            float(arabic is not None),
            float(arabic is not None and arabic.lower() == lower),
            float(arabic is not None and any(c.isascii() and c.isalpha() for c in arabic)),
            max(similarity(skeleton, w) for w in arabic_words),
            max(_in_order(skeleton, w) for w in arabic_words),
        ]
        values += [float(g in lower) for g in self.ngrams]
        if self.wordlists:
            from curate.maltese.etymology.wordlists import wordlist_features

            values += wordlist_features(token)
        return np.asarray(values, dtype=np.float32)
