"""Runs a builder: work units fan out over a datatrove executor, then `finalize` assembles the output.

Resume is per work unit, not per datatrove task: each unit writes its part files and, last, a
`done.json` marker (atomically; the layout belongs to `curate.staging`). A rerun skips units with a
marker, so the task count may change between runs (datatrove's own completion markers assume it does
not, so we don't rely on them), and the final shards depend only on the records, never on which worker
produced them.
"""

from __future__ import annotations

import importlib
import os
import shutil
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from datatrove.pipeline.base import PipelineStep

from curate import lifeline
from curate.builder import BuildContext, Builder, BuilderConfig
from curate.errors import CurateError
from curate.io import durable, set_durable
from curate.options import resolve as resolve_options
from curate.settings import EXECUTORS, BuildOptions, UnitSpec
from curate.shards import ArrowShardWriter, hf_schema
from curate.staging import Job, Staging

__all__ = ["BuildOptions", "dispatch_units", "make_context", "run_unit"]


def make_context(builder: Builder, config: BuilderConfig, opts: BuildOptions | UnitSpec,
                 configs: tuple[str, ...] | None = None, prepared: Any = None) -> BuildContext:
    """The context a builder sees; `configs` are those one pass over a unit produces, `prepared` is what
    `prepare()` returned (None while preparing)."""
    kwargs: dict[str, Any] = {}
    if opts.cache_dir is not None:
        kwargs["cache_dir"] = Path(opts.cache_dir)
    # --endpoint points requests at a live server (a mirror, the fault suite): no cassette replay then
    cassette = builder.sample_dir() / "cassette" if opts.sample and not opts.endpoints else None
    return BuildContext(
        config=config,
        out_dir=Path(opts.out_dir),
        sample=opts.sample,
        offline=opts.offline,
        manual_dir=Path(opts.manual_dir) if opts.manual_dir else None,
        max_examples=opts.max_examples,
        options=resolve_options(builder.Options, opts.options),  # typed and checked (already, via build())
        cassette=cassette if cassette is not None and cassette.exists() else None,
        configs=configs or (config.name,),
        prepared=prepared,
        endpoints=dict(opts.endpoints), fetch_settings=dict(opts.fetch),
        **kwargs,
    )


def run_unit(builder: Builder, ctx: BuildContext, job: Job, staging: Staging) -> dict:
    """Generate one work unit into per-config, per-split part files; each `done.json` is written last.

    `builder.generate` yields `(config, split, record)` for the configs of `job` (`ctx.configs`): one,
    or for a `shared_work_units` builder every requested config from one pass (e.g. one dump parse for
    93 languages)."""
    unit, configs = job.unit, list(job.configs)
    targets = {c: staging.unit_dir(c, job.index, unit) for c in configs}
    if staging.is_done(job):
        return _merged_summary(unit, [staging.read_done(c, job.index, unit) for c in configs])
    writers: dict[tuple[str, str], ArrowShardWriter] = {}
    for c, target in targets.items():
        shutil.rmtree(target, ignore_errors=True)  # leftovers of a killed attempt
        target.mkdir(parents=True)
        config = builder.config(c)
        schema = hf_schema(builder.features(config))
        for s in builder.splits_for(config):
            writers[c, s] = ArrowShardWriter(target / s, schema, max_shard_bytes=1 << 62, builder=builder.name,
                                             id_field=builder.id_field, durable=durable())
    ctx.skipped = Counter()
    ctx.counted = Counter()
    fetched = Counter(ctx._fetcher.stats) if ctx._fetcher is not None else Counter()  # the unit's own share
    stream = builder.generate(unit, ctx)
    rows: dict[str, Counter] = {c: Counter() for c in configs}
    cap = ctx.max_examples
    try:
        for item in stream:
            try:
                c, split, record = item
            except (TypeError, ValueError):
                raise CurateError(f"{builder.name}.generate must yield (config, split, record) tuples; unit "
                                  f"{unit!r} yielded {str(item)[:80]!r}") from None
            if (c, split) not in writers:
                raise CurateError(f"{builder.name}: unit {unit!r} yielded unknown config/split {c!r}/{split!r}")
            if cap is not None and rows[c][split] >= cap:
                if all(rows[cc][ss] >= cap for cc, ss in writers):
                    break  # every split is full: stop generating (a dump is not parsed to its end)
                continue
            writers[c, split].write(record)
            rows[c][split] += 1
        if hasattr(stream, "close"):
            stream.close()  # lets a generator release its files when stopped early
        for w in writers.values():
            w.close()
    except BaseException:
        for w in writers.values():
            w.abort()
        raise
    summaries = []
    first = next(iter(targets))
    for c in targets:
        summary = {"unit": unit, "rows": dict(rows[c]), "skipped": dict(ctx.skipped)}
        if c != first:  # one pass served several configs: its requests and counts are recorded once
            summary["counted_under"] = first
        else:
            if ctx.counted:
                summary["counts"] = dict(ctx.counted)
            if ctx._fetcher is not None:  # requests, retries, ... made by this unit (summed in the manifest)
                summary["fetch"] = {k: v for k, v in (Counter(ctx._fetcher.stats) - fetched).items() if v}
        staging.mark_done(c, job.index, unit, summary)
        summaries.append(summary)
    return _merged_summary(unit, summaries)


def _merged_summary(unit: str, summaries: list[dict]) -> dict:
    return {"unit": unit, "rows": {"all": sum(sum(s["rows"].values()) for s in summaries)}}


class BuildUnitsStep(PipelineStep):
    """datatrove step: rank r builds jobs r, r+W, r+2W, ... It yields no documents; its output is files."""

    name = "curate build units"
    type = "🏗 - BUILD"

    def __init__(self, builder: Builder, spec: UnitSpec, jobs: list[Job]):
        super().__init__()
        self.builder_name = builder.name
        self.builder_module = type(builder).__module__
        self.spec = spec
        self.jobs = jobs
        self.parent_pid = os.getpid()  # the curate process: a local worker must not outlive it
        self.environ = _curate_environ() if spec.executor == "local" else None

    def run(self, data: Any = None, rank: int = 0, world_size: int = 1) -> Any:
        if self.spec.executor == "local":
            lifeline.watch(self.parent_pid)
            _adopt_environ(self.environ)
        set_durable(self.spec.durable)
        builder = _worker_builder(self.builder_name, self.builder_module)
        staging = Staging(self.spec.out_dir)
        contexts: dict[tuple[str, ...], BuildContext] = {}
        for k in range(rank, len(self.jobs), world_size):
            job = self.jobs[k]
            if job.configs not in contexts:  # what prepare() returned for the first config of the job
                first = job.configs[0]
                contexts[job.configs] = make_context(builder, builder.config(first), self.spec, job.configs,
                                                     staging.read_prepared(first)["data"])
            with self.track_time():
                summary = run_unit(builder, contexts[job.configs], job, staging)
            self.stat_update("units")
            self.stat_update("rows", value=sum(summary["rows"].values()))
        yield from ()


def _curate_environ() -> dict[str, str]:
    """The CURATE_* settings of the parent (never anything that looks like a credential)."""
    return {k: v for k, v in os.environ.items()
            if k.startswith("CURATE_") and not any(s in k for s in ("TOKEN", "SECRET", "PASS", "KEY"))}


def _adopt_environ(environ: dict[str, str] | None) -> None:
    """A local worker comes from a forkserver that may have started for an earlier build in this process,
    with the environment of that time: take the parent's CURATE_* settings of this build."""
    if environ is None:
        return
    for k in [k for k in os.environ if k.startswith("CURATE_") and k not in environ]:
        if not any(s in k for s in ("TOKEN", "SECRET", "PASS", "KEY")):
            del os.environ[k]
    os.environ.update(environ)


def _worker_builder(name: str, module: str) -> Builder:
    """The builder in a worker, found the way the parent found it: a forkserver started earlier (another
    build in the same process) may not have its CURATE_EXTRA_BUILDERS, so its module is imported by name."""
    from curate.registry import all_builders, get_builder

    importlib.import_module(module)
    if name not in all_builders():
        all_builders.cache_clear()
    return get_builder(name)


class FinalizeStep(PipelineStep):
    """datatrove step run once after every unit is done (a dependent job on Slurm): assemble the output."""

    name = "curate finalize"
    type = "📦 - FINALIZE"

    def __init__(self, builder_name: str, config_names: list[str], opts: BuildOptions):
        super().__init__()
        self.builder_name = builder_name
        self.config_names = config_names
        self.opts = opts

    def run(self, data: Any = None, rank: int = 0, world_size: int = 1) -> Any:
        from curate.finalize import finalize_build
        from curate.registry import get_builder

        finalize_build(get_builder(self.builder_name), self.config_names, self.opts, start=time.time())
        # the submitted build is over: the folder is free (the marker of this submission only)
        job = os.environ.get("SLURM_ARRAY_JOB_ID") or os.environ.get("SLURM_JOB_ID")  # the id sbatch printed
        Staging(self.opts.out_dir).end_submission(job)
        yield from ()


def make_executor(pipeline: list, tasks: int, opts: BuildOptions, logging_dir: Path, depends: Any = None) -> Any:
    """The datatrove executor for `--executor` (quiet on stderr unless --verbose: curate.logs)."""
    from curate.logs import executor_class

    if opts.executor not in EXECUTORS:
        raise CurateError(f"unknown executor {opts.executor!r}; valid: {', '.join(EXECUTORS)}")
    cls = executor_class(opts.executor, opts.verbose)
    common = {"tasks": tasks, "workers": opts.workers, "logging_dir": str(logging_dir), "skip_completed": False}
    if opts.executor == "local":
        return cls(pipeline, **common)
    if opts.executor == "ray":
        from curate.cluster import connect

        connect(opts.ray_address, opts.workers)  # joins --ray-address / RAY_ADDRESS, else a private instance
        return cls(pipeline, **common, cpus_per_task=1, mem_per_cpu_gb=float(opts.ray.mem_per_cpu_gb))
    from curate.cluster import activate_script

    s = opts.slurm
    return cls(pipeline, **common, time=s.time, partition=s.partition, job_name=logging_dir.name, cpus_per_task=1,
               mem_per_cpu_gb=s.mem_per_cpu_gb, venv_path=activate_script(s.venv_path), sbatch_args=s.sbatch_args,
               depends=depends)


def dispatch_units(builder: Builder, config_names: list[str], jobs: list[Job], opts: BuildOptions) -> None:
    """Run every pending unit of every config on one executor, with a progress bar fed by the markers.

    On Slurm the units go out as one job array, followed by a dependent finalize job; the command
    returns once both are submitted."""
    staging = Staging(opts.out_dir)
    if not staging.pending(jobs) and opts.executor != "slurm":
        return
    tasks = max(1, min(len(jobs), max(opts.workers, 1) * 4, 1000))
    step = BuildUnitsStep(builder, opts.unit_spec(), jobs)
    executor = make_executor([step], tasks, opts, staging.unit_logs)
    if opts.executor == "slurm":
        finalize = make_executor([FinalizeStep(builder.name, config_names, opts)], 1, opts, staging.finalize_logs,
                                 depends=executor)
        from curate.cluster import submit

        submit(executor, finalize, staging)  # also marks the folder as claimed by the jobs (curate.cluster)
        return
    if not opts.verbose:
        from curate.logs import quiet_parent

        quiet_parent()
    stop = threading.Event()
    monitor = threading.Thread(target=_progress, args=(staging, jobs, stop, opts.progress), daemon=True)
    monitor.start()
    try:
        with lifeline.armed():  # datatrove's Manager, forked here, dies with this process
            executor.run()
    finally:
        stop.set()
        monitor.join()
    missing = staging.pending(jobs)
    if missing:
        raise CurateError(
            f"{builder.name}: {len(missing)} work unit(s) failed (first: {'+'.join(missing[0].configs)}/"
            f"{missing[0].unit}); see {staging.unit_logs / 'logs'}; rerun the same command to resume"
        )


def _progress(staging: Staging, jobs: list[Job], stop: threading.Event, enabled: bool | str | None) -> None:
    from curate.progress import Progress

    start = time.monotonic()
    bar = Progress("work units", total=len(jobs), unit="unit", mode=enabled)  # a bar on a TTY, else lines
    seen: set[int] = set()
    rows = 0
    fetched: Counter = Counter()  # fetcher counters of the finished units
    while True:
        finished = stop.is_set()
        for k, job in enumerate(jobs):
            if k in seen or not staging.is_done(job):
                continue
            seen.add(k)
            for c in job.configs:
                try:
                    done = staging.read_done(c, job.index, job.unit)
                    rows += sum(done["rows"].values())
                    fetched.update(done.get("fetch", {}))
                except (OSError, ValueError, KeyError):
                    pass
            bar.update(1)
        bar.update(0, rows=rows, rows_per_s=f"{rows / max(time.monotonic() - start, 1e-9):,.0f}",
                   **{k: fetched[k] for k in ("requests", "cache_hits") if fetched[k]})
        if finished:
            break
        stop.wait(0.5)
    bar.close()
