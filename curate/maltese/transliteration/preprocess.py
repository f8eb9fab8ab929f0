"""The reference preprocessing: strip accents except ċ ġ ħ ż (any case), then lower-case."""

from __future__ import annotations

import re
import unicodedata

KEEP = "ċġħżĊĠĦŻ"
_KEEP_RE = re.compile(f"[{KEEP}]")
_NOT_PLAIN = re.compile(f"[^\x00-\x7f{KEEP}]")  # a character stripping accents could change


def preprocess(token: str) -> str:
    """Exactly `dediacritise_non_malti_accents(token).lower()` of MLRS/malti: sklearn's
    `strip_accents_unicode` (NFKD, drop combining marks, but only when NFKD changed the string), then
    the kept letters are written back at their original indices."""
    if _NOT_PLAIN.search(token) is None:
        # ASCII plus kept letters: stripping would change nothing, so this is the reference result
        return token.lower()
    normalized = unicodedata.normalize("NFKD", token)
    if normalized != token:
        normalized = "".join(c for c in normalized if not unicodedata.combining(c))
    for m in _KEEP_RE.finditer(token):
        normalized = normalized[: m.start()] + m.group() + normalized[m.end():]
    return normalized.lower()


def preprocess_many(tokens: list[str]) -> list[str]:
    """`[preprocess(t) for t in tokens]`; a batch of ASCII and kept letters only (most of them) is
    checked and lower-cased as one newline-joined string (lower-casing those is per character)."""
    joined = "\n".join(tokens)
    if _NOT_PLAIN.search(joined) is None and joined.count("\n") == len(tokens) - 1:
        return joined.lower().split("\n")
    return [preprocess(t) for t in tokens]
