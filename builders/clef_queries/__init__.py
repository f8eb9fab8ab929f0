"""`clef-queries`: CLEF 2000-2003 ad-hoc topics aligned across languages, the Kyrgyz/Uyghur/Turkish
translations of C001-C200 (Litschko, Vulić and Glavaš, COLING 2022), HC4, and optional machine
translation into new languages.

Configs: `topics` (one row per topic and language version), `qrels`, `aligned` (one row per topic with
every language version side by side). CLEF files are licensed (ELRA) and come from --manual-dir or
CLEF_HOME; HC4 is downloaded from a pinned commit and checked against sha256 pins.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from curate.builder import REPO_ROOT, BuildContext, Builder, BuilderConfig, Source

from . import layout, records
from .aligned import aligned_features, aligned_rows
from .hc4 import HC4_SOURCES
from .langcodes import iso3, normalize_language
from .translations import TRANSLATION_FILES

ALL_COLLECTIONS = ("clef2000", "clef2001", "clef2002", "clef2003", "hc4")
SHARED_HC4 = REPO_ROOT.parent / "shared" / "data" / "hc4"  # local test copy; never shipped


_HC4_ABSENT = "hc4 unit: sample mode reads HC4 from {}, which is absent (HC4 is never shipped)"


def _sample_hc4_dir() -> Path:
    return Path(os.environ.get("CURATE_HC4_DIR", SHARED_HC4))


def _csv(value) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, (list, tuple)) else str(value).split(",")
    return tuple(i.strip() for i in items if str(i).strip())


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

    def extra_build_options(self) -> list[tuple[str, dict]]:
        return [
            ("--collections", {"default": None, "help": f"comma list of {','.join(ALL_COLLECTIONS)} (default all)"}),
            ("--translations", {"default": "ky,ug,tr", "help": "CLEF query translations to add: ky,ug,tr or none"}),
            ("--hc4-dir", {"default": None, "help": "read HC4 files from this folder instead of downloading"}),
            ("--translate-to", {"default": None, "help": "machine-translate topics into these languages, e.g. ky,ug,tr"}),
            ("--mt-model", {"default": None, "help": "seq2seq model folder or hub id (NLLB, M2M100, Marian)"}),
            ("--source-language", {"default": "en", "help": "language the MT step translates from (default en)"}),
            ("--mt-batch-size", {"type": int, "default": 32, "help": "rows per MT batch (default 32)"}),
            ("--mt-device", {"default": "auto", "help": "auto, cpu or cuda[:N] for the MT step"}),
        ]

    # ---- options --------------------------------------------------------------------------------
    def _collections(self, ctx: BuildContext) -> tuple[str, ...]:
        chosen = _csv(ctx.options.get("collections")) or ALL_COLLECTIONS
        bad = [c for c in chosen if c not in ALL_COLLECTIONS]
        if bad:
            from curate.errors import UnknownNameError

            raise UnknownNameError("collection", bad[0], list(ALL_COLLECTIONS))
        return tuple(c for c in ALL_COLLECTIONS if c in chosen)

    def _translations(self, ctx: BuildContext) -> tuple[str, ...]:
        raw = _csv(ctx.options.get("translations", "ky,ug,tr"))
        if raw in ((), ("none",)):
            return ()
        langs = tuple(normalize_language(x) for x in raw)  # kg -> ky
        bad = [x for x in langs if x not in TRANSLATION_FILES]
        if bad:
            from curate.errors import UnknownNameError

            raise UnknownNameError("CLEF translation language", bad[0], list(TRANSLATION_FILES))
        return langs

    def _mt_targets(self, ctx: BuildContext) -> tuple[str, ...]:
        targets = tuple(dict.fromkeys(normalize_language(x) for x in _csv(ctx.options.get("translate_to"))))
        if targets and not ctx.options.get("mt_model"):
            from curate.errors import CurateError

            raise CurateError("--translate-to needs --mt-model PATH_OR_ID (a seq2seq model: NLLB, M2M100, Marian)")
        return targets

    def _clef_root(self, ctx: BuildContext) -> Path | None:
        return self.sample_dir() / "CLEF" if ctx.sample else layout.clef_root(ctx.manual_dir)

    def _hc4_files(self, ctx: BuildContext) -> records.Hc4Files | None:
        """None in sample mode when the local HC4 copy is absent (HC4 is never shipped with the package)."""
        if ctx.options.get("hc4_dir"):
            return records.Hc4Files(Path(ctx.options["hc4_dir"]))
        if ctx.sample:
            folder = _sample_hc4_dir()
            return records.Hc4Files(folder) if folder.is_dir() else None
        return records.Hc4Files(None, ctx.fetcher)

    # ---- generation -----------------------------------------------------------------------------
    def prepare(self, ctx: BuildContext) -> None:
        """Fail before any work is dispatched when manual files are missing, with the instructions."""
        root = self._clef_root(ctx)
        for c in self._collections(ctx):
            if c.startswith("clef"):
                if ctx.config.name == "qrels":
                    layout.qrels_files(root, int(c[4:]))
                else:
                    layout.topic_files(root, int(c[4:]))
        if any(c.startswith("clef") for c in self._collections(ctx)) and ctx.config.name != "qrels":
            for lang in self._translations(ctx):
                layout.translation_file(root, lang)
        self._mt_targets(ctx)

    def work_units(self, ctx: BuildContext) -> list[str]:
        if ctx.config.name == "aligned":
            return ["aligned"]
        units = list(self._collections(ctx))
        if ctx.config.name == "topics" and self._mt_targets(ctx):
            units.append("mt")
        return units

    def _topics(self, unit: str, ctx: BuildContext, skip) -> Iterator[tuple[str, dict]]:
        if unit.startswith("clef"):
            yield from records.clef_topics(self._clef_root(ctx), int(unit[4:]), self._translations(ctx), skip)
        elif unit == "hc4":
            files = self._hc4_files(ctx)
            if files is None:
                skip(_HC4_ABSENT.format(_sample_hc4_dir()), 1)
                return
            yield from records.hc4_topics(files)

    def _all_topics(self, ctx: BuildContext, skip) -> Iterator[tuple[str, dict]]:
        for unit in self._collections(ctx):
            yield from self._topics(unit, ctx, skip)

    def _machine_translations(self, ctx: BuildContext) -> Iterator[tuple[str, dict]]:
        from curate.transforms.translate import Seq2SeqTranslator

        src = normalize_language(ctx.options.get("source_language") or "en")
        seen, sources = set(), []
        for split, rec in self._all_topics(ctx, lambda reason, n=1: None):  # skips already counted by their unit
            key = (rec["collection"], rec["topic_id"])
            if rec["language"] == src and rec["origin"] != "machine_translation" and key not in seen:
                seen.add(key)
                sources.append((split, rec))
        translator = Seq2SeqTranslator(ctx.options["mt_model"], target_language=src, source_language=src,
                                       device=ctx.options.get("mt_device") or "auto",
                                       batch_size=int(ctx.options.get("mt_batch_size") or 32),
                                       cache_dir=ctx.cache_dir)
        for tgt in self._mt_targets(ctx):
            translator.target_language = tgt
            out = translator.process([{**rec, "narrative": None} for _, rec in sources])
            for (split, _), rec in zip(sources, out, strict=True):
                yield split, {**rec, "language_iso3": iso3(tgt)}

    def generate(self, unit: str, ctx: BuildContext) -> Iterator[tuple[str, dict]]:
        if ctx.config.name == "qrels":
            if unit.startswith("clef"):
                yield from records.clef_qrels(self._clef_root(ctx), int(unit[4:]), ctx.skip)
            elif unit == "hc4":
                files = self._hc4_files(ctx)
                if files is None:
                    ctx.skip(_HC4_ABSENT.format(_sample_hc4_dir()))
                    return
                yield from records.hc4_qrels(files)
            return
        if ctx.config.name == "aligned":
            rows = list(self._all_topics(ctx, ctx.skip))
            if self._mt_targets(ctx):
                rows.extend(self._machine_translations(ctx))
            yield from aligned_rows(rows)
            return
        if unit == "mt":
            yield from self._machine_translations(ctx)
        else:
            yield from self._topics(unit, ctx, ctx.skip)

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
