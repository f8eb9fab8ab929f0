"""The reference preprocessing: strip accents except ċ ġ ħ ż (any case), then lower-case."""

from __future__ import annotations

import re
import unicodedata

KEEP = "ċġħżĊĠĦŻ"
_KEEP_RE = re.compile(f"[{KEEP}]")
_DROP_KEPT = str.maketrans("", "", KEEP)


def preprocess(token: str) -> str:
    """Exactly `dediacritise_non_malti_accents(token).lower()` of MLRS/malti: sklearn's
    `strip_accents_unicode` (NFKD, drop combining marks, but only when NFKD changed the string), then
    the kept letters are written back at their original indices."""
    if token.translate(_DROP_KEPT).isascii():
        # ASCII plus kept letters: stripping would change nothing, so this is the reference result
        return token.lower()
    normalized = unicodedata.normalize("NFKD", token)
    if normalized != token:
        normalized = "".join(c for c in normalized if not unicodedata.combining(c))
    for m in _KEEP_RE.finditer(token):
        normalized = normalized[: m.start()] + m.group() + normalized[m.end():]
    return normalized.lower()
