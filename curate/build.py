"""`curate build` as a library call: prepare, dispatch work units, finalize, write manifest and card."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import platform
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from curate.builder import Builder, BuilderConfig
from curate.errors import CurateError, InputFormatError
from curate.finalize import assemble_config, swap_in
from curate.io import file_sha256, set_durable, write_json_atomic
from curate.options import checked_build_options
from curate.options import fingerprint as options_fingerprint
from curate.run import BuildOptions, dispatch_units, make_context, staging_dir

MANIFEST = "manifest.json"
TOOLS = ("curate", "datasets", "datatrove", "pyarrow", "polars", "huggingface_hub", "transformers", "torch")


def tool_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in TOOLS:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            pass
    return out


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


def load_manifest(out_dir: Path) -> dict[str, Any] | None:
    path = Path(out_dir) / MANIFEST
    return json.loads(path.read_text()) if path.exists() else None


def _complete(out_dir: Path, entry: dict[str, Any]) -> bool:
    """A manifest entry counts as built only if every shard it lists is on disk with its recorded sha256
    (sizes first: a cheap refusal before reading every byte)."""
    shards = [sh for split in entry.get("splits", {}).values() for sh in split["shards"]]
    if not all((out_dir / sh["path"]).is_file() and (out_dir / sh["path"]).stat().st_size == sh["bytes"]
               for sh in shards):
        return False
    return all(file_sha256(out_dir / sh["path"]) == sh["sha256"] for sh in shards)


@contextmanager
def build_lock(out_dir: Path) -> Iterator[None]:
    """One build per output folder at a time: two would race on the same part files.

    A POSIX record lock (`lockf`), not `flock`: forked children (datatrove's Manager, pool workers) do not
    inherit it, so a `kill -9` of curate frees the folder at once instead of leaving it to an orphan. The
    file holds the owner's pid for the refusal message."""
    lock_path = out_dir / ".curate" / "lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
    try:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EACCES, errno.EAGAIN):
                raise
            owner = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            raise CurateError(f"another curate build (pid {owner}) is writing into {out_dir}; "
                              "wait for it to finish") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def build(builder: Builder, config_names: list[str] | None, opts: BuildOptions) -> dict[str, Any]:
    opts = checked_build_options(builder, opts)  # every value checked before anything is written
    out_dir = Path(opts.out_dir)
    names = list(dict.fromkeys(config_names or builder.default_configs or [c.name for c in builder.configs]))
    configs = [builder.config(n) for n in names]
    manifest = load_manifest(out_dir)
    if manifest is not None and manifest.get("builder") not in (None, builder.name):
        raise CurateError(f"{out_dir} holds a build of {manifest['builder']!r}; choose another --out")
    done = (manifest or {}).get("configs", {})
    for c in configs:
        if c.name in done and not opts.overwrite and done[c.name].get("fingerprint") != _fingerprint(builder, c.name,
                                                                                                    opts):
            raise CurateError(f"{out_dir / c.name} holds a complete build made with other settings; "
                              "pass --overwrite to replace it")
    if not opts.overwrite:  # a complete config is kept as it is (sha256 checked), not rebuilt beside a new one
        complete = {c.name for c in configs if c.name in done and _complete(out_dir, done[c.name])}
        if len(complete) == len(configs):
            return {"status": "exists", "manifest": manifest, "out_dir": str(out_dir)}
        configs = [c for c in configs if c.name not in complete]
        names = [c.name for c in configs]
    out_dir.mkdir(parents=True, exist_ok=True)
    set_durable(opts.durable)
    with build_lock(out_dir):
        return _build_locked(builder, configs, names, opts, manifest)


def _build_locked(builder: Builder, configs: list[BuilderConfig], names: list[str], opts: BuildOptions,
                  manifest: dict[str, Any] | None) -> dict[str, Any]:
    out_dir = Path(opts.out_dir)
    start = time.time()
    sources = _sources(builder, opts)  # verifies declared checksums of shipped files before any work
    # the manifest keeps listing complete configs until their replacement is in place (finalize_build):
    # a failed rebuild leaves the previous build usable and the previous command still valid
    jobs: list[tuple[str, int, str]] = []
    shared_units: list[str] | None = None
    from curate.progress import Progress

    listing = Progress("listing work units", total=len(configs), unit="config", mode=opts.progress)
    for config in configs:
        stage = staging_dir(out_dir, config.name)
        fp = _fingerprint(builder, config.name, opts)
        fp_path = stage / "build.json"
        unfinished_other = fp_path.exists() and json.loads(fp_path.read_text()) != fp
        # a stage without one finished unit (e.g. prepare refused a missing file) holds nothing to keep: the
        # corrected command may replace it without --overwrite
        if unfinished_other and not opts.overwrite and any((stage / "parts").glob("*/done.json")):
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
        builder.prepare(ctx)
        units = builder.work_units(ctx)
        if not units:
            raise CurateError(f"{builder.name}/{config.name}: no work units to build")
        write_json_atomic(stage / "units.json", units)
        listing.update(1, units=listing.postfix.get("units", 0) + len(units))
        write_json_atomic(stage / "prepare.json", {"skipped": dict(ctx.skipped), "fetch": dict(
            ctx._fetcher.stats if ctx._fetcher is not None else {})})  # e.g. the listing requests
        if builder.shared_work_units:
            if shared_units is not None and units != shared_units:
                raise CurateError(f"{builder.name}: shared_work_units requires the same units for every config")
            shared_units = units
        else:
            jobs.extend((config.name, i, u) for i, u in enumerate(units))
    listing.close()
    if shared_units is not None:
        jobs = [("*", i, u) for i, u in enumerate(shared_units)]
    dispatch_units(builder, names, jobs, opts)
    if opts.executor == "slurm":
        return {"status": "submitted", "out_dir": str(out_dir), "logging_dir": str(out_dir / ".curate")}
    manifest = finalize_build(builder, names, opts, start, sources)
    return {"status": "built", "manifest": manifest, "out_dir": str(out_dir)}


def finalize_build(builder: Builder, config_names: list[str], opts: BuildOptions, start: float,
                   sources: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Assemble every config from its finished units, then write the card and (last) the manifest."""
    out_dir = Path(opts.out_dir)
    manifest = load_manifest(out_dir) or {"builder": builder.name, "configs": {}}
    entries = {}
    from curate.progress import Progress

    assembling = Progress("finalize", total=len(config_names), unit="config", mode=opts.progress)
    for name in config_names:  # the slow part, before anything visible changes
        stage = staging_dir(out_dir, name)
        units = json.loads((stage / "units.json").read_text())
        entry = assemble_config(builder, builder.config(name), units, out_dir, opts.max_examples, opts.format,
                                opts.max_shard_bytes)
        prepare = json.loads((stage / "prepare.json").read_text())
        prepared = prepare["skipped"]
        entry["skipped"] = _merge_counts(entry["skipped"], prepared)  # records dropped while listing units
        entry["fetch"] = _merge_counts(entry.get("fetch", {}), prepare.get("fetch", {}))  # fetcher counters
        entry["fingerprint"] = json.loads((stage / "build.json").read_text())
        entry["sample"] = opts.sample
        entry["wall_time_s"] = round(time.time() - start, 3)
        entries[name] = entry
        assembling.update(1, rows=assembling.postfix.get("rows", 0) + sum(s["rows"] for s in entry["splits"].values()))
    assembling.close()
    # the manifest never lists data that is not on disk: drop the replaced entries, swap the folders in,
    # and list the new ones only after the card (a Ctrl-C in between leaves them unlisted, so rebuilt)
    if any(name in manifest["configs"] for name in entries):
        for name in entries:
            manifest["configs"].pop(name, None)
        write_json_atomic(out_dir / MANIFEST, manifest)
    for name in entries:
        swap_in(out_dir, name)
    manifest["configs"].update(entries)
    manifest.update({
        "builder": builder.name,
        "version": builder.version,
        "license": builder.license,
        "sources": sources if sources is not None else _sources(builder, opts),
        "tools": tool_versions(),
        "wall_time_s": round(time.time() - start, 3),
        "sample": opts.sample,
    })
    manifest["configs"] = dict(sorted(manifest["configs"].items()))
    from curate.card import write_card

    write_card(builder, manifest, out_dir)
    write_json_atomic(out_dir / MANIFEST, manifest)
    for name in config_names:  # the staged parts are now in the shards: free the disk they take
        shutil.rmtree(staging_dir(out_dir, name) / "parts", ignore_errors=True)
    return manifest


def _merge_counts(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    out = dict(a)
    for k, v in b.items():
        out[k] = out.get(k, 0) + v
    return dict(sorted(out.items()))


def _sources(builder: Builder, opts: BuildOptions) -> list[dict[str, Any]]:
    from curate.builder import REPO_ROOT

    out = []
    for s in builder.sources:
        item = {k: v for k, v in vars(s).items() if v not in (None, "", False)}
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
