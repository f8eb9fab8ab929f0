"""Lexical evidence that exists for any token: frequencies in general English, Italian and Arabic word lists.

The translation tables cover only the ~31k types they were made for; these lists (`wordfreq`, built from
web, subtitles, news and Wikipedia text, MIT/CC BY-SA) cover any word. Each feature is a few exact
dictionary lookups, no nearest-neighbour search, so a new type costs microseconds:
- English: Zipf frequency of the lower-cased token (unadapted English: `petrol`, `stations`);
- Italian: of the token, and the best of its Italian-spelt variants (Maltese spelling undone by
  `romance_form`, plus Italian endings: `amministrazzjoni` -> `amministrazioni`, `ċertifikat` -> `certificato`);
- Arabic: of its consonant skeleton (`kiteb` -> كتب), against the skeletons of the Arabic list's words,
  so roots survive Maltese vowels and affixes.
Values are Zipf / 8 (0 = absent). The lists are read once per process (~6 s), only by models whose
config asks for them (`wordlists: true`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from curate.errors import CurateError
from curate.maltese.etymology.features import WORDLIST_FEATURES
from curate.maltese.etymology.spelling import _strip_accents, arabic_skeleton, maltese_skeleton, romance_form

_ENDINGS = ("", "o", "e", "a", "i")


def _zipf(freq: float) -> float:
    return max(0.0, math.log10(freq) + 9.0) / 8.0


@lru_cache(maxsize=1)
def load_wordlists() -> dict[str, dict[str, float]]:
    """{"en": word -> zipf/8, "it": accent-stripped word -> zipf/8, "ar": consonant skeleton -> zipf/8}."""
    try:
        from wordfreq import get_frequency_dict
    except ImportError as exc:  # an optional dependency: only models trained with `wordlists: true` need it
        raise CurateError("this etymology model reads word lists: pip install 'wordfreq==3.1.1'") from exc

    out: dict[str, dict[str, float]] = {"en": {}, "it": {}, "ar": {}}
    for word, freq in get_frequency_dict("en", wordlist="best").items():
        out["en"][word] = _zipf(freq)
    for word, freq in get_frequency_dict("it", wordlist="best").items():
        key = _strip_accents(word)
        out["it"][key] = max(out["it"].get(key, 0.0), _zipf(freq))
    skeletons: dict[str, float] = {}
    for word, freq in get_frequency_dict("ar", wordlist="best").items():
        key = arabic_skeleton(word)
        if key:
            skeletons[key] = skeletons.get(key, 0.0) + freq  # every word sharing the skeleton counts
    out["ar"] = {k: _zipf(f) for k, f in skeletons.items()}
    return out


def wordlist_features(token: str) -> list[float]:
    lists = load_wordlists()
    lower = token.lower()
    italian = romance_form(token)
    stems = (italian, italian[:-1]) if len(italian) > 3 and italian[-1] in "aeiou" else (italian,)
    best_variant = max(lists["it"].get(stem + end, 0.0) for stem in stems for end in _ENDINGS)
    return [
        lists["en"].get(lower, 0.0),
        lists["it"].get(_strip_accents(lower), 0.0),
        best_variant,
        lists["ar"].get(maltese_skeleton(token), 0.0),
    ]


def wordlist_features_many(types: Sequence[str]) -> np.ndarray:
    return np.array([wordlist_features(t) for t in types], dtype=np.float32).reshape(len(types), WORDLIST_FEATURES)
