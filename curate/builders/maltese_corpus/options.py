"""`curate build maltese-corpus` flags, declared once: curate.options makes the flags, checks and fingerprint."""

from __future__ import annotations

from dataclasses import dataclass

from curate.options import BuilderOptions, option


@dataclass(frozen=True)
class MalteseCorpusOptions(BuilderOptions):
    text_field: str = option("text", help="JSON/Parquet field holding the text (a string, or a list of sentences)")
    etymology_model: str | None = option(None, metavar="PATH_OR_ID",
                                         help="tagger model folder or hub id (default: the shipped model)")
    translate_to: str = option("en", choices=("en", "it", "ar"),
                               help="lexicon of the translate_all and mixed pipelines")
    slice_mb: int = option(64, minimum=1, help="work unit size: MB of a text/JSONL file per unit")
    max_line_mb: int = option(64, minimum=1, help="longer lines are skipped and counted (line_too_long)")
    tagger_threads: int = option(0, minimum=0,
                                 help="torch CPU threads per worker (0: all cores with one worker, else 1)")
