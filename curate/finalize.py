"""Assemble finished work units into `DIR/<config>/`, a `DatasetDict.save_to_disk` layout.

Part files are read back in work-unit order and re-batched through `ArrowShardWriter`, so the shard
bytes depend only on the records, not on how many workers produced them. The config folder is built
under a temporary name and swapped in with a rename (`swap_in`).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

from curate import card_stats
from curate.builder import Builder, BuilderConfig
from curate.io import durable, fsync_dir, write_json_atomic
from curate.run import staging_dir, unit_dir
from curate.shard_formats import make_shard_writer
from curate.shards import hf_schema, read_batches


def assemble_config(builder: Builder, config: BuilderConfig, units: list[str], out_dir: Path,
                    max_examples: int | None = None, data_format: str = "arrow",
                    max_shard_bytes: int | None = None) -> dict[str, Any]:
    """Merge part files into shards under the stage's `final/`; returns the config's manifest entry.
    `swap_in` then puts the folder in place."""
    stage = staging_dir(out_dir, config.name)
    features = builder.features(config)
    schema = hf_schema(features)
    tmp = stage / "final"
    shutil.rmtree(tmp, ignore_errors=True)
    skipped: dict[str, int] = {}
    fetch: dict[str, int] = {}
    summaries = []
    for i, u in enumerate(units):
        summary = json.loads((unit_dir(stage, i, u) / "done.json").read_text())
        summaries.append(summary)
        for reason, n in summary["skipped"].items():
            skipped[reason] = skipped.get(reason, 0) + n
        for name, n in summary.get("fetch", {}).items():  # fetcher counters of the run that built the unit
            fetch[name] = fetch.get(name, 0) + n
    entry: dict[str, Any] = {"work_units": len(units), "splits": {}, "skipped": dict(sorted(skipped.items())),
                             "fetch": dict(sorted(fetch.items()))}
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
                for part in sorted((unit_dir(stage, i, u) / split).glob("data-*.arrow")):
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
    stage = staging_dir(out_dir, config)
    final = Path(out_dir) / config
    old = stage / "previous"
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        final.rename(old)
    (stage / "final").rename(final)
    if durable():
        fsync_dir(Path(out_dir))
    shutil.rmtree(old, ignore_errors=True)
