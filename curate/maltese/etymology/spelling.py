"""Spelling helpers of the etymology features: Maltese spelling undone for comparing a token with Italian or
English words, consonant skeletons for comparing it with Arabic ones, edit-distance similarity (rapidfuzz)."""

from __future__ import annotations

import re
import unicodedata
from itertools import groupby

from rapidfuzz.distance import Levenshtein

# Maltese spelling of Romance/English sounds, undone before comparing a token with its translation
_ROMANCE_SPELLING = (("zzj", "zi"), ("zj", "zi"), ("ċ", "c"), ("ġ", "g"), ("ħ", "h"), ("ż", "z"), ("k", "c"), ("j", "i"))


def _strip_accents_slow(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


# Latin letters up to U+017F (all Maltese and Italian ones) stripped through one str.translate table;
# other text takes the NFD path (same result, ~10x slower)
_LATIN_STRIP = {cp: _strip_accents_slow(chr(cp)) for cp in range(0x80, 0x180)}
_OUTSIDE_LATIN = re.compile("[^\x00-\u017f]")


def _strip_accents(text: str) -> str:
    if text.isascii():
        return text
    if _OUTSIDE_LATIN.search(text) is None:
        return text.translate(_LATIN_STRIP)
    return _strip_accents_slow(text)


def romance_form(text: str) -> str:
    text = _strip_accents(text.lower().replace("għ", "a"))
    for src, dst in _ROMANCE_SPELLING:
        text = text.replace(src, dst)
    return text


def similarity(a: str, b: str) -> float:
    """1 - normalised edit distance (rapidfuzz's C Levenshtein); 0 when either side is empty."""
    if not a or not b:
        return 0.0
    return Levenshtein.normalized_similarity(a, b)


def _bigram_dice(a: str, b: str) -> float:
    x = {a[i : i + 2] for i in range(len(a) - 1)}
    y = {b[i : i + 2] for i in range(len(b) - 1)}
    return 2 * len(x & y) / (len(x) + len(y)) if x and y else 0.0


def _prefix_ratio(a: str, b: str) -> float:
    n = 0
    for ca, cb in zip(a, b):
        if ca != cb:
            break
        n += 1
    return n / max(len(a), 1)


# consonant skeletons for comparing a token with its Arabic translation (a Semitic word often keeps
# its root consonants: ħames/خمسة, gżejjer/جزر): Maltese letters mapped to the Arabic letters of the
# deterministic transliteration table, Arabic letters folded to the distinctions Maltese keeps
_MT_CONSONANTS = {
    "b": "ب", "ċ": "ش", "d": "د", "f": "ف", "ġ": "ج", "g": "ج", "ħ": "ح", "k": "ك", "l": "ل", "m": "م",
    "n": "ن", "p": "ب", "q": "ق", "r": "ر", "s": "س", "t": "ت", "v": "ف", "x": "ش", "ż": "ز", "z": "ز",
    "'": "ع", "h": "ه",
}
_AR_FOLD = str.maketrans({"ذ": "د", "ظ": "د", "ض": "د", "ص": "س", "ط": "ت", "ث": "ت", "خ": "ح", "غ": "ع",
                          "ة": "ه", "ك": "ك", "ء": "", "أ": "", "إ": "", "آ": "", "ا": "", "و": "", "ي": "",
                          "ى": "", "ؤ": "", "ئ": "", "ـ": ""})


# Latin letters up to U+017F: consonants to their Arabic letter, the rest deleted; Arabic letters deleted
_MT_SKELETON = str.maketrans({
    **{c: None for c in map(chr, [*range(0x180), *range(0x600, 0x700)])}, **_MT_CONSONANTS,
})
_NOT_ARABIC = re.compile("[^\u0600-\u06ff]+")


def maltese_skeleton(token: str) -> str:
    """Consonants of a Maltese token as Arabic letters, repeats collapsed (`kiteb` -> كتب)."""
    lower = token.lower().replace("għ", "'")
    mapped = lower.translate(_MT_SKELETON)
    if not lower.isascii() and _OUTSIDE_LATIN.search(lower):  # other scripts: drop what was not mapped
        mapped = _NOT_ARABIC.sub("", mapped)
    return "".join(c for c, _ in groupby(mapped)).rstrip("ه")


def arabic_skeleton(word: str) -> str:
    word = _strip_accents(word)
    if word.startswith("ال") and len(word) > 3:
        word = word[2:]
    out = [c for c in word.translate(_AR_FOLD) if "\u0621" <= c <= "\u064a"]
    return "".join(c for i, c in enumerate(out) if i == 0 or c != out[i - 1]).rstrip("ه")


def _in_order(needle: str, hay: str) -> float:
    """Share of `needle`'s letters found in order in `hay` (root consonants surviving affixes)."""
    it = iter(hay)
    return sum(c in it for c in needle) / len(needle) if needle else 0.0
