"""`curate build eurlex-sum` flags, declared once: curate.options makes the flags, checks and fingerprint."""

from __future__ import annotations

from dataclasses import dataclass

from curate.builders.eurlex_sum.cellar import LANGUAGES
from curate.options import BuilderOptions, option


@dataclass(frozen=True)
class EurLexOptions(BuilderOptions):
    languages: tuple[str, ...] = option(tuple(LANGUAGES), csv=True, choices=tuple(LANGUAGES),
                                        help="language codes to build (xling/aligned: the pairs among them)")
    split_ids: bool = option(False, help="use the published EUR-Lex-Sum validation/test ids instead of the "
                                         "seeded shuffle")
