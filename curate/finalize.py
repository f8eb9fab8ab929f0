"""Assemble finished work units into `DIR/<config>/` (a `DatasetDict.save_to_disk` layout), then write
the card and, last, the manifest.

Part files are read back in work-unit order and re-batched through the shard writer, so the shard
bytes depend only on the records, not on how many workers produced them. A config folder is built in
its stage and swapped in with renames (`swap_in`); the manifest never lists a config whose data is not
in place, and keeps listing the complete configs a failed rebuild did not reach.
"""

from __future__ import annotations

import hashlib
import platform
import shutil
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from curate import card_stats
from curate.builder import Builder, BuilderConfig
from curate.errors import InputFormatError
from curate.io import durable, file_sha256, fsync_dir, write_json_atomic
from curate.manifest import Manifest
from curate.shard_formats import make_shard_writer
from curate.shards import hf_schema, read_batches
from curate.staging import Staging

if TYPE_CHECKING:
    from curate.settings import BuildOptions

TOOLS = ("curate", "datasets", "datatrove", "pyarrow", "polars", "huggingface_hub", "transformers", "torch")


def assemble_config(builder: Builder, config: BuilderConfig, units: list[str], out_dir: Path,
                    max_examples: int | None = None, data_format: str = "arrow",
                    max_shard_bytes: int | None = None) -> dict[str, Any]:
    """Merge part files into shards under the stage's `final/`; returns the config's manifest entry.
    `swap_in` then puts the folder in place."""
    staging = Staging(out_dir)
    features = builder.features(config)
    schema = hf_schema(features)
    tmp = staging.assembled_dir(config.name)
    shutil.rmtree(tmp, ignore_errors=True)
    skipped: dict[str, int] = {}
    fetch: dict[str, int] = {}
    counts: dict[str, int] = {}
    shared_with: set[str] = set()
    summaries = []
    for i, u in enumerate(units):
        summary = staging.read_done(config.name, i, u)
        summaries.append(summary)
        for reason, n in summary["skipped"].items():
            skipped[reason] = skipped.get(reason, 0) + n
        for name, n in summary.get("fetch", {}).items():  # fetcher counters of the run that built the unit
            fetch[name] = fetch.get(name, 0) + n
        for name, n in summary.get("counts", {}).items():  # `ctx.count`: noted, nothing left out
            counts[name] = counts.get(name, 0) + n
        if "counted_under" in summary:  # a shared pass's requests and counts sit in one config's entry
            shared_with.add(summary["counted_under"])
    entry: dict[str, Any] = {"work_units": len(units), "splits": {}, "skipped": dict(sorted(skipped.items())),
                             "fetch": dict(sorted(fetch.items()))}
    if counts:
        entry["counts"] = dict(sorted(counts.items()))
    if shared_with:
        entry["shared_units_counted_under"] = sorted(shared_with)
    entry["format"] = data_format
    splits = builder.splits_for(config)
    stats = card_stats.for_config(builder, config)  # card figures, collected from the same stream (bounded memory)
    for split in splits:
        writer = make_shard_writer(data_format, tmp / split, schema,
                                   max_shard_bytes=max_shard_bytes or builder.max_shard_bytes, builder=builder.name,
                                  id_field=builder.id_field, durable=durable())
        remaining = max_examples
        with writer:
            for i, u in enumerate(units):
                for part in sorted((staging.unit_dir(config.name, i, u) / split).glob("data-*.arrow")):
                    for batch in read_batches(part):
                        if remaining is not None:
                            if remaining <= 0:
                                break
                            batch = batch.slice(0, remaining)
                            remaining -= batch.num_rows
                        writer.write_batch(batch)
                        stats.update(split, batch)
            shards = writer.close()
        fingerprint = hashlib.sha256("".join(s.sha256 for s in shards).encode()).hexdigest()[:16]
        if data_format == "arrow":  # `load_from_disk`'s index of the split; Parquet files describe themselves
            write_json_atomic(tmp / split / "state.json", {
                "_data_files": [{"filename": s.filename} for s in shards],
                "_fingerprint": fingerprint,
                "_format_columns": None,
                "_format_kwargs": {},
                "_format_type": None,
                "_output_all_columns": False,
                "_split": split,
            })
        write_json_atomic(tmp / split / "dataset_info.json", {
            "builder_name": builder.name,
            "config_name": config.name,
            "citation": builder.citation,
            "description": builder.description,
            "features": features.to_dict(),
            "homepage": builder.homepage,
            "license": builder.license,
            "version": builder.version,
        })
        entry["splits"][split] = {
            "rows": sum(s.rows for s in shards),
            "shards": [{"path": f"{config.name}/{split}/{s.filename}", "rows": s.rows, "bytes": s.bytes,
                        "sha256": s.sha256} for s in shards],
        }
    entry["statistics"] = stats.result()
    if data_format == "arrow":
        write_json_atomic(tmp / "dataset_dict.json", {"splits": list(splits)})
    if durable():
        for split in splits:
            fsync_dir(tmp / split)
        fsync_dir(tmp)
    return entry


def swap_in(out_dir: Path, config: str) -> None:
    """Replace `DIR/<config>` by the assembled folder with two renames (the old one is removed after)."""
    staging = Staging(out_dir)
    final = Path(out_dir) / config
    old = staging.previous_dir(config)
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        final.rename(old)
    staging.assembled_dir(config).rename(final)
    if durable():
        fsync_dir(Path(out_dir))
    shutil.rmtree(old, ignore_errors=True)


def finalize_build(builder: Builder, config_names: list[str], opts: BuildOptions, start: float,
                   sources: list[dict[str, Any]] | None = None) -> Manifest:
    """Assemble every config from its finished units, then write the card and (last) the manifest."""
    out_dir = Path(opts.out_dir)
    staging = Staging(out_dir)
    if sources is None:  # a finalize job on Slurm: check the shipped sources before anything is swapped in
        sources = verified_sources(builder, opts)
    manifest = Manifest.load(out_dir) or Manifest(builder=builder.name)
    entries = {}
    from curate.progress import Progress

    assembling = Progress("finalize", total=len(config_names), unit="config", mode=opts.progress)
    for name in config_names:  # the slow part, before anything visible changes
        units = staging.read_units(name)
        entry = assemble_config(builder, builder.config(name), units, out_dir, opts.max_examples, opts.format,
                                opts.max_shard_bytes)
        prepared = staging.read_prepared(name)
        entry["skipped"] = _merge_counts(entry["skipped"], prepared["skipped"])  # dropped while listing units
        entry["fetch"] = _merge_counts(entry.get("fetch", {}), prepared.get("fetch", {}))  # fetcher counters
        if entry.get("counts") or prepared.get("counts"):  # `ctx.count` in prepare()/work_units() too
            entry["counts"] = _merge_counts(entry.get("counts", {}), prepared.get("counts", {}))
        entry["fingerprint"] = staging.read_fingerprint(name)
        entry["sample"] = opts.sample
        entry["wall_time_s"] = round(time.time() - start, 3)
        entries[name] = entry
        assembling.update(1, rows=assembling.postfix.get("rows", 0) + sum(s["rows"] for s in entry["splits"].values()))
    assembling.close()
    # the manifest never lists data that is not on disk: drop the replaced entries, swap the folders in,
    # and list the new ones only after the card (a Ctrl-C in between leaves them unlisted, so rebuilt)
    if any(name in manifest.configs for name in entries):
        for name in entries:
            manifest.configs.pop(name, None)
        manifest.save(out_dir)
    for name in entries:
        swap_in(out_dir, name)
    manifest.configs.update(entries)
    manifest.builder, manifest.version, manifest.license = builder.name, builder.version, builder.license
    manifest.sources = sources
    manifest.tools = tool_versions()
    manifest.wall_time_s = round(time.time() - start, 3)
    manifest.sample = opts.sample
    from curate.card import write_card

    write_card(builder, manifest, out_dir)
    manifest.save(out_dir)
    for name in config_names:  # the staged parts are now in the shards: free the disk they take
        shutil.rmtree(staging.parts_dir(name), ignore_errors=True)
    return manifest


def _merge_counts(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    out = dict(a)
    for k, v in b.items():
        out[k] = out.get(k, 0) + v
    return dict(sorted(out.items()))


def verified_sources(builder: Builder, opts: BuildOptions) -> list[dict[str, Any]]:
    """The manifest's `sources`. A shipped file (`path`, not `manual`) declared with a sha256 must be present
    and match; a manual source's files come from the user, so one absent from the repository is not checked."""
    from curate.builder import REPO_ROOT

    out = []
    for s in builder.sources:
        item = {k: v for k, v in vars(s).items() if v not in (None, "", False)}
        if s.path and s.sha256 and not s.manual and not (REPO_ROOT / s.path).is_file():
            # package data travels with the code (pyproject's package-data), so a pinned shipped file that is
            # missing means a broken checkout or install: building on would record a source never verified
            raise InputFormatError(REPO_ROOT / s.path, None,
                                   f"shipped source {s.name!r} of builder {builder.name!r} is missing (declared "
                                   f"sha256 {s.sha256}); restore it from the repository or reinstall curate")
        if s.path and (REPO_ROOT / s.path).is_file():
            got = file_sha256(REPO_ROOT / s.path)
            if s.sha256 and got != s.sha256:
                raise InputFormatError(REPO_ROOT / s.path, None, f"sha256 {got} differs from the declared {s.sha256}")
            item["sha256_verified"] = got
        out.append(item)
    if opts.sample:
        sample = builder.sample_dir()
        out.append({"name": "sample fixtures", "path": str(sample.relative_to(REPO_ROOT)) if sample.is_relative_to(
            REPO_ROOT) else str(sample)})
    return out


def tool_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in TOOLS:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            pass
    return out
