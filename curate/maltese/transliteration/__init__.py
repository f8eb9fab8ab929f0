"""Maltese→Arabic transliteration in pure Python, reproducing the MLRS/malti (EACL 2024) tables.

`MalteseTransliterator` (engine.py) is the entry point; `curate.transforms.Transliterator` wraps it
as a Transform and `curate transliterate` as a command.
"""

from curate.maltese.transliteration.engine import MalteseTransliterator, TokenResult
from curate.maltese.transliteration.ranker import CharNgramLM, CharNgramRanker, Ranker

__all__ = ["MalteseTransliterator", "TokenResult", "CharNgramLM", "CharNgramRanker", "Ranker"]
