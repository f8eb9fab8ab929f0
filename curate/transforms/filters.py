"""Length and script filters.

Script detection uses the Unicode character name, which for letters starts with the script name in
upper case ("LATIN SMALL LETTER H WITH STROKE" for Maltese ħ, "CYRILLIC SMALL LETTER STRAIGHT U" for
Kyrgyz ү, "ARABIC LETTER U" for Uyghur ۇ). `script_of` returns that first word title-cased, after
dropping a FULLWIDTH/HALFWIDTH prefix and naming "CJK ..." ideographs `Han`. Only letters (Unicode
category L*) count; marks, digits, punctuation and spaces are ignored. Scripts whose Unicode name has
several words (Old Italic, New Tai Lue, Tai Le, ...) come out as their first word (`Old`, `New`, `Tai`),
and letters outside any script (MODIFIER LETTER ..., MATHEMATICAL ...) come out as `Modifier`/`Mathematical`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from functools import cache

from curate.errors import CurateError
from curate.transforms.base import Transform

_RENAMED = {"Cjk": "Han"}


@cache
def script_of(char: str) -> str | None:
    """The script of a letter (e.g. `Latin`, `Arabic`, `Cyrillic`, `Han`); None if `char` is not a letter."""
    if not unicodedata.category(char).startswith("L"):
        return None
    words = unicodedata.name(char, "UNKNOWN").split()
    if words[0] in ("FULLWIDTH", "HALFWIDTH") and len(words) > 1:
        words = words[1:]
    script = words[0].title()
    return _RENAMED.get(script, script)


def _check_bounds(low: int | None, high: int | None, what: str) -> None:
    if (low is not None and low < 0) or (high is not None and high < 0):
        raise CurateError(f"LengthFilter {what} bounds must be >= 0, got min={low} max={high}")
    if low is not None and high is not None and low > high:
        raise CurateError(f"LengthFilter min_{what} ({low}) is larger than max_{what} ({high})")


class LengthFilter(Transform):
    """Keeps records whose `record[field]` has between min and max characters and/or whitespace tokens.

    A list-valued field (e.g. Moses tokens) counts one word per item and its characters joined by spaces.
    Bounds are inclusive; a bound left as None is not checked.
    """

    name = "length_filter"

    def __init__(self, field: str = "text", min_chars: int | None = None, max_chars: int | None = None,
                 min_words: int | None = None, max_words: int | None = None) -> None:
        super().__init__()
        _check_bounds(min_chars, max_chars, "chars")
        _check_bounds(min_words, max_words, "words")
        self.field = field
        self.min_chars, self.max_chars, self.min_words, self.max_words = min_chars, max_chars, min_words, max_words

    def apply(self, record: dict) -> dict | None:
        value = record[self.field] or ""  # None counts as empty text
        words = list(value) if isinstance(value, list | tuple) else str(value).split()
        n_chars = len(" ".join(words)) if isinstance(value, list | tuple) else len(str(value))
        for reason, failed in (
            ("too_few_chars", self.min_chars is not None and n_chars < self.min_chars),
            ("too_many_chars", self.max_chars is not None and n_chars > self.max_chars),
            ("too_few_words", self.min_words is not None and len(words) < self.min_words),
            ("too_many_words", self.max_words is not None and len(words) > self.max_words),
        ):
            if failed:
                self.count(f"dropped_{reason}")
                return None
        return record


class ScriptFilter(Transform):
    """Keeps records where at least `threshold` of the letters in `record[field]` belong to `scripts`."""

    name = "script_filter"

    def __init__(self, scripts: Iterable[str], threshold: float = 0.5, field: str = "text") -> None:
        super().__init__()
        self.scripts = frozenset(s.title() for s in ([scripts] if isinstance(scripts, str) else scripts))
        if not self.scripts:
            raise CurateError("ScriptFilter needs at least one script name (e.g. ['Latin'])")
        if not 0.0 <= threshold <= 1.0:
            raise CurateError(f"ScriptFilter threshold must lie in [0, 1], got {threshold}")
        self.threshold, self.field = threshold, field

    def share(self, text: str) -> float | None:
        """Fraction of letters in the wanted scripts; None when the text has no letters at all."""
        scripts = [s for s in map(script_of, text) if s is not None]
        return sum(s in self.scripts for s in scripts) / len(scripts) if scripts else None

    def apply(self, record: dict) -> dict | None:
        share = self.share(str(record[self.field] or ""))
        if share is None:
            self.count("dropped_no_letters")
            return None
        if share < self.threshold:
            self.count("dropped_script")
            return None
        return record
