"""`curate build` as a library call: check, prepare and list units per config, dispatch them, finalize.

The staging layout belongs to `curate.staging`, the executors to `curate.run`, the assembly and the
manifest to `curate.finalize`; this module decides what to (re)build and in which order.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

from curate.builder import Builder, BuilderConfig
from curate.checks import checked_build_options
from curate.errors import CurateError
from curate.finalize import finalize_build, verified_sources
from curate.io import set_durable, write_json_atomic
from curate.manifest import Manifest
from curate.options import fingerprint as options_fingerprint
from curate.run import BuildOptions, dispatch_units, make_context
from curate.staging import Job, Staging


def _fingerprint(builder: Builder, config: str, opts: BuildOptions) -> dict[str, Any]:
    """What must match for a rerun to resume, or for a finished build to count as this one. The output
    format and shard size appear only when not the defaults, so earlier manifests stay valid."""
    out = _settings_fingerprint(builder, config, opts)
    if opts.format != "arrow":
        out["format"] = opts.format
    if opts.max_shard_bytes is not None:
        out["max_shard_bytes"] = opts.max_shard_bytes
    return out


def _settings_fingerprint(builder: Builder, config: str, opts: BuildOptions) -> dict[str, Any]:
    """What must match for a rerun to resume rather than mix two different builds."""
    return {"builder": builder.name, "version": builder.version, "config": config, "sample": opts.sample,
            "max_examples": opts.max_examples, "options": options_fingerprint(opts.options)}


def build(builder: Builder, config_names: list[str] | None, opts: BuildOptions) -> dict[str, Any]:
    opts = checked_build_options(builder, opts)  # every value checked before anything is written
    out_dir = Path(opts.out_dir)
    names = list(dict.fromkeys(config_names or builder.default_configs or [c.name for c in builder.configs]))
    configs = [builder.config(n) for n in names]
    manifest = Manifest.load(out_dir)
    if manifest is not None and manifest.builder not in (None, "", builder.name):
        raise CurateError(f"{out_dir} holds a build of {manifest.builder!r}; choose another --out")
    done = manifest.configs if manifest is not None else {}
    for c in configs:
        if c.name in done and not opts.overwrite and done[c.name].get("fingerprint") != _fingerprint(builder, c.name,
                                                                                                    opts):
            raise CurateError(f"{out_dir / c.name} holds a complete build made with other settings; "
                              "pass --overwrite to replace it")
    if not opts.overwrite:  # a complete config is kept as it is (sha256 checked), not rebuilt beside a new one
        complete = {c.name for c in configs if c.name in done and manifest.complete(out_dir, c.name)}
        if len(complete) == len(configs):
            return {"status": "exists", "manifest": manifest.to_json(), "out_dir": str(out_dir)}
        configs = [c for c in configs if c.name not in complete]
        names = [c.name for c in configs]
    out_dir.mkdir(parents=True, exist_ok=True)
    set_durable(opts.durable)
    with Staging(out_dir).lock():
        return _build_locked(builder, configs, names, opts)


def _build_locked(builder: Builder, configs: list[BuilderConfig], names: list[str],
                  opts: BuildOptions) -> dict[str, Any]:
    out_dir = Path(opts.out_dir)
    staging = Staging(out_dir)
    start = time.time()
    sources = verified_sources(builder, opts)  # declared checksums of shipped files, before any work
    # the manifest keeps listing complete configs until their replacement is in place (finalize_build):
    # a failed rebuild leaves the previous build usable and the previous command still valid
    jobs: list[Job] = []
    shared_units: list[str] | None = None
    from curate.progress import Progress

    listing = Progress("listing work units", total=len(configs), unit="config", mode=opts.progress)
    for config in configs:
        stage = staging.config_dir(config.name)
        fp = _fingerprint(builder, config.name, opts)
        fp_path = staging.fingerprint_file(config.name)
        unfinished_other = fp_path.exists() and staging.read_fingerprint(config.name) != fp
        # a stage without one finished unit (e.g. prepare refused a missing file) holds nothing to keep: the
        # corrected command may replace it without --overwrite
        if unfinished_other and not opts.overwrite and any(staging.parts_dir(config.name).glob("*/done.json")):
            raise CurateError(
                f"{stage} holds an unfinished build with other settings ({fp_path}); "
                "rerun with the same options to resume, or pass --overwrite"
            )
        if unfinished_other or (opts.overwrite and not fp_path.exists()):
            shutil.rmtree(stage, ignore_errors=True)
        # with --overwrite and the same settings, finished units of an interrupted run are kept (resume)
        stage.mkdir(parents=True, exist_ok=True)
        write_json_atomic(fp_path, fp)
        ctx = make_context(builder, config, opts)
        ctx.prepared = builder.prepare(ctx)
        units = builder.work_units(ctx)
        if not units:
            raise CurateError(f"{builder.name}/{config.name}: no work units to build")
        write_json_atomic(staging.units_file(config.name), units)
        listing.update(1, units=listing.postfix.get("units", 0) + len(units))
        # what prepare() returned reaches every worker as ctx.prepared (written as JSON: it must be JSON-able)
        write_json_atomic(staging.prepared_file(config.name), {"data": ctx.prepared, "skipped": dict(ctx.skipped),
                                                               "counts": dict(ctx.counted),
                                                               "fetch": dict(ctx._fetcher.stats if ctx._fetcher
                                                                             is not None else {})})  # the listing's
        if builder.shared_work_units:
            if shared_units is not None and units != shared_units:
                raise CurateError(f"{builder.name}: shared_work_units requires the same units for every config")
            shared_units = units
        else:
            jobs.extend(Job((config.name,), i, u) for i, u in enumerate(units))
    listing.close()
    if shared_units is not None:
        jobs = [Job(tuple(names), i, u) for i, u in enumerate(shared_units)]
    dispatch_units(builder, names, jobs, opts)
    if opts.executor == "slurm":
        return {"status": "submitted", "out_dir": str(out_dir), "logging_dir": str(staging.root / "logs")}
    manifest = finalize_build(builder, names, opts, start, sources)
    return {"status": "built", "manifest": manifest.to_json(), "out_dir": str(out_dir)}


