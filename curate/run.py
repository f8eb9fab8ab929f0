"""Runs a builder: work units fan out over a datatrove executor, then `finalize` assembles the output.

Resume is per work unit, not per datatrove task: each unit writes its part files and, last, a
`done.json` marker (atomically). A rerun skips units with a marker, so the task count may change
between runs (datatrove's own completion markers assume it does not, so we don't rely on them), and
the final shards depend only on the records, never on which worker produced them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datatrove.pipeline.base import PipelineStep

from curate import lifeline
from curate.builder import BuildContext, Builder, BuilderConfig
from curate.errors import CurateError
from curate.io import durable, set_durable, write_json_atomic
from curate.options import resolve as resolve_options
from curate.shards import ArrowShardWriter, hf_schema

EXECUTORS = ("local", "slurm", "ray")


@dataclass
class BuildOptions:
    out_dir: Path
    sample: bool = False
    offline: bool = False
    cache_dir: Path | None = None
    manual_dir: Path | None = None
    workers: int = 1
    executor: str = "local"
    max_examples: int | None = None
    overwrite: bool = False
    options: Any = None  # the builder's Options, or a dict of its fields: build() types and checks it
    slurm: dict[str, Any] = field(default_factory=dict)
    ray_address: str | None = None  # None: RAY_ADDRESS if set, else a private Ray instance
    format: str = "arrow"  # of the final shards: arrow (save_to_disk layout) or parquet
    max_shard_bytes: int | None = None  # None: the builder's max_shard_bytes
    progress: bool | str | None = True  # True/None: a bar on a TTY, else lines; False: off (curate.progress)
    verbose: bool = False
    endpoints: dict[str, str] = field(default_factory=dict)  # --endpoint KEY=URL (not part of the fingerprint)
    fetch: dict[str, Any] = field(default_factory=dict)  # CachedFetcher settings: retries, timeout, deadline, max_bytes
    durable: bool = False  # fsync every file and folder written (--durable)


def make_context(builder: Builder, config: BuilderConfig, opts: BuildOptions) -> BuildContext:
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
        endpoints=dict(opts.endpoints), fetch_settings=dict(opts.fetch),
        **kwargs,
    )


def staging_dir(out_dir: Path, config: str) -> Path:
    return Path(out_dir) / ".curate" / config


def unit_dir(stage: Path, index: int, unit: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", unit)[:80]
    return stage / "parts" / f"{index:06d}-{safe}"


def run_unit(builder: Builder, ctx: BuildContext, index: int, unit: str, out_dir: Path,
             configs: list[str]) -> dict:
    """Generate one work unit into per-config, per-split part files; each `done.json` is written last.

    A builder with `shared_work_units` produces every requested config in one pass over the unit
    (e.g. one dump parse for 93 languages); otherwise `configs` is just `[ctx.config.name]`."""
    targets = {c: unit_dir(staging_dir(out_dir, c), index, unit) for c in configs}
    if all((t / "done.json").exists() for t in targets.values()):
        return _merged_summary(unit, [json.loads((t / "done.json").read_text()) for t in targets.values()])
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
    fetched = Counter(ctx._fetcher.stats) if ctx._fetcher is not None else Counter()  # the unit's own share
    if builder.shared_work_units:
        stream = builder.generate_many(unit, ctx, configs)
    else:
        stream = ((ctx.config.name, split, record) for split, record in builder.generate(unit, ctx))
    rows: dict[str, Counter] = {c: Counter() for c in configs}
    cap = ctx.max_examples
    try:
        for c, split, record in stream:
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
    for c, target in targets.items():
        summary = {"unit": unit, "rows": dict(rows[c]), "skipped": dict(ctx.skipped)}
        if ctx._fetcher is not None:  # requests, retries, challenges, ... made by this unit (summed in the manifest)
            summary["fetch"] = {k: v for k, v in (Counter(ctx._fetcher.stats) - fetched).items() if v}
        write_json_atomic(target / "done.json", summary)
        summaries.append(summary)
    return _merged_summary(unit, summaries)


def _merged_summary(unit: str, summaries: list[dict]) -> dict:
    return {"unit": unit, "rows": {"all": sum(sum(s["rows"].values()) for s in summaries)}}


Job = tuple[str, int, str]  # (config name, or "*" for all configs of a shared unit; unit index; unit id)


def job_configs(job: Job, config_names: list[str]) -> list[str]:
    return list(config_names) if job[0] == "*" else [job[0]]


def job_done(job: Job, config_names: list[str], out_dir: Path) -> bool:
    return all((unit_dir(staging_dir(out_dir, c), job[1], job[2]) / "done.json").exists()
               for c in job_configs(job, config_names))


class BuildUnitsStep(PipelineStep):
    """datatrove step: rank r builds jobs r, r+W, r+2W, ... It yields no documents; its output is files."""

    name = "curate build units"
    type = "🏗 - BUILD"

    def __init__(self, builder_name: str, opts: BuildOptions, jobs: list[Job], config_names: list[str]):
        super().__init__()
        self.builder_name = builder_name
        self.opts = opts
        self.jobs = jobs
        self.config_names = config_names
        self.parent_pid = os.getpid()  # the curate process: a local worker must not outlive it

    def run(self, data: Any = None, rank: int = 0, world_size: int = 1) -> Any:
        from curate.registry import get_builder

        if self.opts.executor == "local":
            lifeline.watch(self.parent_pid)
        set_durable(self.opts.durable)
        builder = get_builder(self.builder_name)
        contexts: dict[str, BuildContext] = {}
        for k in range(rank, len(self.jobs), world_size):
            job = self.jobs[k]
            configs = job_configs(job, self.config_names)
            if configs[0] not in contexts:
                contexts[configs[0]] = make_context(builder, builder.config(configs[0]), self.opts)
            with self.track_time():
                summary = run_unit(builder, contexts[configs[0]], job[1], job[2], self.opts.out_dir, configs)
            self.stat_update("units")
            self.stat_update("rows", value=sum(summary["rows"].values()))
        yield from ()


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
        from curate.build import finalize_build
        from curate.registry import get_builder

        finalize_build(get_builder(self.builder_name), self.config_names, self.opts, start=time.time())
        yield from ()


def quiet_datatrove() -> None:
    """In the parent: keep warnings on stderr (datatrove logs every task start and stats at INFO)."""
    import sys

    from loguru import logger

    logger.remove()
    logger.add(sys.stderr, level="WARNING")


def _stderr_format(record: dict) -> str:
    """A failed unit's CurateError is one line on stderr (its message names the URL or file; the task log
    keeps the traceback); any other exception is a bug and keeps its traceback."""
    exc = record["exception"]
    if exc is not None and isinstance(exc.value, CurateError):
        return "{time:YYYY-MM-DD HH:mm:ss} | {level} | {message}\n"
    return "{time:YYYY-MM-DD HH:mm:ss} | {level} | {message}\n{exception}"


def _quiet_task_logger(logging_dir: Any, rank: int, local_rank: int = 0, node_rank: int = -1) -> Any:
    """datatrove's per-task logger with stderr at WARNING; the task log file still gets everything."""
    import sys

    from loguru import logger

    logger.remove()
    logfile = logging_dir.open(f"logs/task_{rank:05d}.log", "w")
    logger.add(sys.stderr, level="WARNING", format=_stderr_format)
    logger.add(logfile, level="DEBUG", colorize=False)
    logger.info(f"Launching pipeline for {rank=}")
    return logfile


def _quiet_close_task_logger(logfile: Any) -> None:
    from loguru import logger

    logger.complete()
    quiet_datatrove()
    logfile.close()


def install_quiet_task_logger() -> None:
    """datatrove has no log-level setting, so its executors' logger hooks are swapped (in every process
    that imports this module: workers unpickle the step, which imports it) unless CURATE_VERBOSE=1."""
    if os.environ.get("CURATE_VERBOSE") == "1":
        return
    import datatrove.executor.base as base
    import datatrove.executor.ray as ray_executor

    for module in (base, ray_executor):
        module.add_task_logger = _quiet_task_logger
        module.close_task_logger = _quiet_close_task_logger


install_quiet_task_logger()


def make_executor(pipeline: list, tasks: int, opts: BuildOptions, logging_dir: Path, depends: Any = None) -> Any:
    if opts.executor == "local":
        from datatrove.executor import LocalPipelineExecutor

        return LocalPipelineExecutor(
            pipeline, tasks=tasks, workers=opts.workers, logging_dir=str(logging_dir), skip_completed=False
        )
    if opts.executor == "ray":
        from datatrove.executor import RayPipelineExecutor

        from curate.cluster import connect

        connect(opts.ray_address, opts.workers)  # joins --ray-address / RAY_ADDRESS, else a private instance
        return RayPipelineExecutor(
            pipeline, tasks=tasks, workers=opts.workers, logging_dir=str(logging_dir), skip_completed=False,
            cpus_per_task=1, mem_per_cpu_gb=float(opts.slurm.get("mem_per_cpu_gb", 2)),
        )
    if opts.executor == "slurm":
        from datatrove.executor import SlurmPipelineExecutor

        from curate.cluster import activate_script

        s = opts.slurm
        return SlurmPipelineExecutor(
            pipeline, tasks=tasks, workers=opts.workers, logging_dir=str(logging_dir), skip_completed=False,
            time=s.get("time", "24:00:00"), partition=s.get("partition", "cpu"), job_name=logging_dir.name,
            cpus_per_task=1, mem_per_cpu_gb=s.get("mem_per_cpu_gb", 2), venv_path=activate_script(s.get("venv_path")),
            sbatch_args=s.get("sbatch_args"), depends=depends,
        )
    raise CurateError(f"unknown executor {opts.executor!r}; valid: {', '.join(EXECUTORS)}")


def pending_jobs(jobs: list[Job], config_names: list[str], out_dir: Path) -> list[Job]:
    return [j for j in jobs if not job_done(j, config_names, out_dir)]


def dispatch_units(builder: Builder, config_names: list[str], jobs: list[Job], opts: BuildOptions) -> None:
    """Run every pending unit of every config on one executor, with a progress bar fed by the markers.

    On Slurm the units go out as one job array, followed by a dependent finalize job; the command
    returns once both are submitted."""
    root = Path(opts.out_dir) / ".curate"
    if not pending_jobs(jobs, config_names, opts.out_dir) and opts.executor != "slurm":
        return
    tasks = max(1, min(len(jobs), max(opts.workers, 1) * 4, 1000))
    executor = make_executor([BuildUnitsStep(builder.name, opts, jobs, config_names)], tasks, opts, root / "units")
    if opts.executor == "slurm":
        finalize = make_executor([FinalizeStep(builder.name, config_names, opts)], 1, opts, root / "finalize",
                                 depends=executor)
        finalize.run()  # datatrove submits the dependency (the units array) first
        return
    if not opts.verbose:
        quiet_datatrove()
    stop = threading.Event()
    monitor = threading.Thread(target=_progress, args=(opts.out_dir, jobs, config_names, stop, opts.progress),
                               daemon=True)
    monitor.start()
    try:
        with lifeline.armed():  # datatrove's Manager, forked here, dies with this process
            executor.run()
    finally:
        stop.set()
        monitor.join()
    missing = pending_jobs(jobs, config_names, opts.out_dir)
    if missing:
        raise CurateError(
            f"{builder.name}: {len(missing)} work unit(s) failed (first: {missing[0][0]}/{missing[0][2]}); "
            f"see {root / 'units' / 'logs'}; rerun the same command to resume"
        )


def _progress(out_dir: Path, jobs: list[Job], config_names: list[str], stop: threading.Event,
              enabled: bool | str | None) -> None:
    from curate.progress import Progress

    start = time.monotonic()
    bar = Progress("work units", total=len(jobs), unit="unit", mode=enabled)  # a bar on a TTY, else lines
    seen: set[int] = set()
    rows = 0
    fetched: Counter = Counter()  # fetcher counters of the finished units
    while True:
        finished = stop.is_set()
        for k, job in enumerate(jobs):
            if k in seen or not job_done(job, config_names, out_dir):
                continue
            seen.add(k)
            for c in job_configs(job, config_names):
                try:
                    marker = unit_dir(staging_dir(out_dir, c), job[1], job[2]) / "done.json"
                    done = json.loads(marker.read_text())
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
