"""The record streams behind each clef-queries work unit: CLEF/HC4 topics and qrels, and the `mt` unit.

`sample` is the builder's bundled fixture folder (`Builder.sample_dir()`), read when ctx.sample is set.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from curate.builder import BuildContext

from . import hc4, layout, records
from .langcodes import iso3
from .options import HC4_ABSENT, sample_hc4_dir

Skip = Callable[..., None]


def clef_root(ctx: BuildContext, sample: Path) -> Path | None:
    return sample / "CLEF" if ctx.sample else layout.clef_root(ctx.manual_dir)


def hc4_files(ctx: BuildContext) -> records.Hc4Files | None:
    """None in sample mode when the local HC4 copy is absent (HC4 is never shipped with the package)."""
    if ctx.options.hc4_dir:
        return records.Hc4Files(ctx.options.hc4_dir)
    if ctx.sample:
        folder = sample_hc4_dir()
        return records.Hc4Files(folder) if folder.is_dir() else None
    return records.Hc4Files(None, ctx.fetcher, ctx.endpoint("hc4", hc4.HC4_BASE))  # --endpoint hc4=URL


def check_manual_files(ctx: BuildContext, sample: Path) -> None:
    """Fail before any work is dispatched when manual files are missing, with the instructions."""
    root = clef_root(ctx, sample)
    for c in ctx.options.collections:
        if c.startswith("clef"):
            if ctx.config.name == "qrels":
                layout.qrels_files(root, int(c[4:]))
            else:
                layout.topic_files(root, int(c[4:]))
    if any(c.startswith("clef") for c in ctx.options.collections) and ctx.config.name != "qrels":
        for lang in ctx.options.translations:
            layout.translation_file(root, lang)


def topics(unit: str, ctx: BuildContext, skip: Skip, sample: Path) -> Iterator[tuple[str, dict]]:
    if unit.startswith("clef"):
        yield from records.clef_topics(clef_root(ctx, sample), int(unit[4:]), ctx.options.translations, skip)
    elif unit == "hc4":
        files = hc4_files(ctx)
        if files is None:
            skip(HC4_ABSENT.format(sample_hc4_dir()), 1)
            return
        yield from records.hc4_topics(files)


def all_topics(ctx: BuildContext, skip: Skip, sample: Path) -> Iterator[tuple[str, dict]]:
    for unit in ctx.options.collections:
        yield from topics(unit, ctx, skip, sample)


def qrels(unit: str, ctx: BuildContext, sample: Path) -> Iterator[tuple[str, dict]]:
    if unit.startswith("clef"):
        yield from records.clef_qrels(clef_root(ctx, sample), int(unit[4:]), ctx.skip)
    elif unit == "hc4":
        files = hc4_files(ctx)
        if files is None:
            ctx.skip(HC4_ABSENT.format(sample_hc4_dir()))
            return
        yield from records.hc4_qrels(files)


def machine_translations(ctx: BuildContext, sample: Path) -> Iterator[tuple[str, dict]]:
    from curate.transforms.translate import Seq2SeqTranslator

    src = ctx.options.source_language
    seen, sources = set(), []
    for split, rec in all_topics(ctx, lambda reason, n=1: None, sample):  # skips already counted by their unit
        key = (rec["collection"], rec["topic_id"])
        if rec["language"] == src and rec["origin"] != "machine_translation" and key not in seen:
            seen.add(key)
            sources.append((split, rec))
    translator = Seq2SeqTranslator(ctx.options.mt_model, target_language=src, source_language=src,
                                   device=ctx.options.mt_device, batch_size=ctx.options.mt_batch_size,
                                   cache_dir=ctx.cache_dir)
    for tgt in ctx.options.translate_to:
        translator.target_language = tgt
        out = translator.process([{**rec, "narrative": None} for _, rec in sources])
        for (split, _), rec in zip(sources, out, strict=True):
            yield split, {**rec, "language_iso3": iso3(tgt)}
