"""`clef-queries`: CLEF 2000-2003 ad-hoc topics aligned across languages, the Kyrgyz/Uyghur/Turkish
translations of C001-C200 (Litschko, Vulić and Glavaš, COLING 2022), HC4, and optional machine
translation into new languages.

Configs: `topics` (one row per topic and language version), `qrels`, `aligned` (one row per topic with
every language version side by side). CLEF files are licensed (ELRA) and come from --manual-dir or
CLEF_HOME; HC4 is downloaded from a pinned commit and checked against sha256 pins.
"""

from __future__ import annotations

from collections.abc import Iterator

from curate.builder import BuildContext, Builder, BuilderConfig, Source

from . import layout, units
from .aligned import aligned_features, aligned_rows
from .hc4 import HC4_BASE, HC4_SOURCES
from .options import ALL_COLLECTIONS, SHARED_HC4, ClefOptions  # noqa: F401  (public names, importable from here as before)
from .translations import TRANSLATION_FILES


class ClefQueries(Builder):
    name = "clef-queries"
    version = "1.0.0"
    description = ("CLEF 2000-2003 ad-hoc topics aligned across languages, with Kyrgyz/Uyghur/Turkish "
                   "translations, HC4 topics and qrels, and optional machine translation.")
    homepage = "https://github.com/hltcoe/HC4"
    license = "other"
    citation = """@inproceedings{litschko-etal-2022-parameter,
  title = {Parameter-Efficient Neural Reranking for Cross-Lingual and Multilingual Retrieval},
  author = {Litschko, Robert and Vuli{\\'c}, Ivan and Glava{\\v{s}}, Goran},
  booktitle = {Proceedings of COLING 2022}, pages = {1071--1082}, year = {2022}}
@inproceedings{lawrie-etal-2022-hc4,
  title = {HC4: A New Suite of Test Collections for Ad Hoc CLIR},
  author = {Lawrie, Dawn and Mayfield, James and Oard, Douglas W. and Yang, Eugene},
  booktitle = {Proceedings of ECIR 2022}, year = {2022}}"""
    languages = ("en", "de", "fr", "it", "es", "nl", "fi", "sv", "ru", "ky", "ug", "tr", "fa", "zh")
    task_categories = ("text-retrieval",)
    configs = [
        BuilderConfig("topics", "one row per topic and language version (original, human or machine translation)"),
        BuilderConfig("qrels", "relevance judgements: topic_id, doc_id, relevance, doc_language, collection"),
        BuilderConfig("aligned", "one row per topic with every language version side by side"),
    ]
    splits = ("train", "dev", "test")
    sources = [
        Source("clef-2000-2003", manual=True, license="ELRA evaluation licence (ELRA-E0008)",
               description="CLEF ad-hoc topics Topics/... and qrels RelAssess/... from the user's own copy"),
        *[Source(f"translations/{name}", url=layout.TRANSLATIONS_PAGE, manual=True, license="unverified",
                 description=f"{lang} translations of CLEF topics C001-C200 (download page; no checksum pinned)")
          for lang, name in TRANSLATION_FILES.items()],
        *HC4_SOURCES,
    ]
    manual_download_instructions = layout.INSTRUCTIONS
    id_field = "topic_id"
    endpoints = {"hc4": HC4_BASE}  # --endpoint hc4=URL: where the pinned HC4 files are downloaded from
    Options = ClefOptions

    # ---- declarations -------------------------------------------------------------------------
    def features(self, config: BuilderConfig):
        import datasets

        s = datasets.Value("string")
        if config.name == "qrels":
            return datasets.Features({"topic_id": s, "doc_id": s, "relevance": datasets.Value("int32"),
                                      "doc_language": s, "collection": s})
        if config.name == "aligned":
            return aligned_features()
        return datasets.Features({k: s for k in ("topic_id", "collection", "language", "language_iso3", "title",
                                                 "description", "narrative", "origin", "mt_system")})

    # ---- generation -----------------------------------------------------------------------------
    def prepare(self, ctx: BuildContext) -> None:
        """Fail before any work is dispatched when manual files are missing, with the instructions."""
        units.check_manual_files(ctx, self.sample_dir())

    def work_units(self, ctx: BuildContext) -> list[str]:
        if ctx.config.name == "aligned":
            return ["aligned"]
        work = list(ctx.options.collections)
        if ctx.config.name == "topics" and ctx.options.translate_to:
            work.append("mt")
        return work

    def generate(self, unit: str, ctx: BuildContext) -> Iterator[tuple[str, str, dict]]:
        for split, row in self._rows(unit, ctx):
            yield ctx.config.name, split, row

    def _rows(self, unit: str, ctx: BuildContext) -> Iterator[tuple[str, dict]]:
        sample = self.sample_dir()
        if ctx.config.name == "qrels":
            yield from units.qrels(unit, ctx, sample)
            return
        if ctx.config.name == "aligned":
            rows = list(units.all_topics(ctx, ctx.skip, sample))
            if ctx.options.translate_to:
                rows.extend(units.machine_translations(ctx, sample))
            yield from aligned_rows(rows)
            return
        if unit == "mt":
            yield from units.machine_translations(ctx, sample)
        else:
            yield from units.topics(unit, ctx, ctx.skip, sample)

    def card_context(self, config: BuilderConfig, tables: dict) -> dict:
        from collections import Counter

        counts: Counter = Counter()
        for split, table in tables.items():
            cols = table.column_names
            lang_col = "doc_language" if "doc_language" in cols else ("language" if "language" in cols else None)
            keys = zip(table.column("collection").to_pylist(),
                       table.column(lang_col).to_pylist() if lang_col else [""] * table.num_rows, strict=True)
            for collection, language in keys:
                counts[(split, collection, language)] += 1
        return {"counts_by_collection_language": [
            {"split": s, "collection": c, "language": lang, "rows": n} for (s, c, lang), n in sorted(counts.items())]}
