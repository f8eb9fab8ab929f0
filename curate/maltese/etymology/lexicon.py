"""The lexical evidence shipped with the package: word-level translation tables and character n-grams.

The tables (`mt-en`, `mt-it`, `mt-ar`) map case-sensitive Maltese token types to one word-level
Google Translate output each. A few rows are malformed (wrong column count, empty side); they are
skipped and counted, and for duplicate keys the first row wins (also counted).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from curate.maltese.resources import MALTESE_DIR, TRANSLATIONS_DIR

NGRAMS_TXT = MALTESE_DIR / "etymology_data" / "common_ngrams.txt"
LANGUAGES = ("en", "it", "ar")


@dataclass
class TranslationTable:
    path: Path
    entries: dict[str, str]
    skipped: Counter = field(default_factory=Counter)  # reason -> rows

    def get(self, token: str) -> str | None:
        hit = self.entries.get(token)
        return hit if hit is not None else self.entries.get(token.lower())


def read_translation_table(path: str | Path) -> TranslationTable:
    path = Path(path)
    entries: dict[str, str] = {}
    skipped: Counter = Counter()
    with path.open(encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            cols = line.split("\t")
            if len(cols) != 2:
                skipped["wrong_column_count"] += 1
            elif not cols[0] or not cols[1].strip():
                skipped["empty_side"] += 1
            elif cols[0] in entries:
                skipped["duplicate_key"] += 1
            else:
                entries[cols[0]] = cols[1].strip()
    return TranslationTable(path, entries, skipped)


@dataclass
class Lexicon:
    tables: dict[str, TranslationTable]
    ngrams: tuple[str, ...]

    def skipped(self) -> dict[str, dict[str, int]]:
        return {lang: dict(t.skipped) for lang, t in self.tables.items()}


@lru_cache(maxsize=2)
def load_lexicon(translations_dir: str = str(TRANSLATIONS_DIR), ngrams_path: str = str(NGRAMS_TXT)) -> Lexicon:
    """The translation tables and n-gram list, read once per process."""
    tables = {lang: read_translation_table(Path(translations_dir) / f"mt-{lang}.tsv") for lang in LANGUAGES}
    ngrams = tuple(line.strip() for line in Path(ngrams_path).read_text(encoding="utf-8").splitlines() if line.strip())
    return Lexicon(tables, ngrams)
