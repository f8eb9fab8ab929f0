"""`curate build maltese-etymology` flags, declared once: curate.options makes the flags, checks and fingerprint."""

from __future__ import annotations

from dataclasses import dataclass

from curate.options import BuilderOptions, option


@dataclass(frozen=True)
class MalteseEtymologyOptions(BuilderOptions):
    gold_etymology: bool = option(False, help="mudt: use the gold labels for the 439 annotated train sentences "
                                              "(probability 1.0) instead of the tagger's predictions")
    etymology_model: str | None = option(None, metavar="PATH_OR_ID",
                                         help="mudt: tagger model folder or hub id (default: the shipped model)")
    translate_to: str = option("en", choices=("en", "it", "ar"),
                               help="mudt: lexicon of the translate_all and mixed pipelines")
