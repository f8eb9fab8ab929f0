"""The one owner of `DIR/.curate/`, the build's staging area (as datatrove's executor owns `completions/`).

    DIR/.curate/
      lock                        one build per output folder (POSIX record lock, holder's pid inside)
      submitted.json              a Slurm build in flight: its job ids, time, host (cleared by its finalize job)
      configs/<config>/           one stage per config (under `configs/`, so no config name can collide
        build.json                  with `lock`, `logs` or `http-sample`): the settings fingerprint,
        units.json                  the ordered work units,
        prepare.json                what `prepare()` returned (handed to every worker) and its skip counts,
        parts/<i>-<unit>/<split>/   part files of one unit, then `done.json`, written last
        final/, previous/           the assembled config folder before / the replaced one after the swap
      logs/units/, logs/finalize/ datatrove's logging folders (task logs, stats, Slurm scripts)
      http-sample/                the HTTP cache of a --sample build (cassette replay)

Resume is per work unit: a unit is done when its `done.json` exists for every config it serves.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

from curate.errors import CurateError
from curate.io import write_json_atomic


class Job(NamedTuple):
    """One work unit to run: its position and id, and the configs one pass over it produces (one config,
    or every requested config for a `shared_work_units` builder)."""

    configs: tuple[str, ...]
    index: int
    unit: str


class Staging:
    def __init__(self, out_dir: Path | str):
        self.out_dir = Path(out_dir)
        self.root = self.out_dir / ".curate"

    # ---- per-config stage -------------------------------------------------------------------------
    def config_dir(self, config: str) -> Path:
        return self.root / "configs" / config

    def fingerprint_file(self, config: str) -> Path:
        return self.config_dir(config) / "build.json"

    def units_file(self, config: str) -> Path:
        return self.config_dir(config) / "units.json"

    def prepared_file(self, config: str) -> Path:
        return self.config_dir(config) / "prepare.json"

    def parts_dir(self, config: str) -> Path:
        return self.config_dir(config) / "parts"

    def assembled_dir(self, config: str) -> Path:
        return self.config_dir(config) / "final"

    def previous_dir(self, config: str) -> Path:
        return self.config_dir(config) / "previous"

    def read_units(self, config: str) -> list[str]:
        return json.loads(self.units_file(config).read_text())

    def read_prepared(self, config: str) -> dict[str, Any]:
        """`{"data": what prepare() returned, "skipped": {...}, ...}` of a config."""
        return json.loads(self.prepared_file(config).read_text())

    def read_fingerprint(self, config: str) -> dict[str, Any] | None:
        path = self.fingerprint_file(config)
        return json.loads(path.read_text()) if path.exists() else None

    # ---- work units ---------------------------------------------------------------------------------
    def unit_dir(self, config: str, index: int, unit: str) -> Path:
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", unit)[:80]
        return self.parts_dir(config) / f"{index:06d}-{safe}"

    def done_marker(self, config: str, index: int, unit: str) -> Path:
        return self.unit_dir(config, index, unit) / "done.json"

    def mark_done(self, config: str, index: int, unit: str, summary: dict[str, Any]) -> None:
        write_json_atomic(self.done_marker(config, index, unit), summary)

    def read_done(self, config: str, index: int, unit: str) -> dict[str, Any]:
        return json.loads(self.done_marker(config, index, unit).read_text())

    def is_done(self, job: Job) -> bool:
        return all(self.done_marker(c, job.index, job.unit).exists() for c in job.configs)

    def pending(self, jobs: list[Job]) -> list[Job]:
        return [j for j in jobs if not self.is_done(j)]

    # ---- executor folders ---------------------------------------------------------------------------
    @property
    def unit_logs(self) -> Path:
        return self.root / "logs" / "units"

    @property
    def finalize_logs(self) -> Path:
        return self.root / "logs" / "finalize"

    @property
    def http_sample_cache(self) -> Path:
        return self.root / "http-sample"

    # ---- a submitted Slurm build ---------------------------------------------------------------------
    @property
    def submission_file(self) -> Path:
        return self.root / "submitted.json"

    def record_submission(self, job_ids: list[str]) -> None:
        """Claim the folder for a job array that outlives this process (the lock goes with the process)."""
        write_json_atomic(self.submission_file, {"job_ids": job_ids, "host": socket.gethostname(),
                                                 "pid": os.getpid(), "time": time.strftime("%Y-%m-%d %H:%M:%S %Z")})

    def end_submission(self, job_id: str | None = None) -> None:
        """Free the folder; with `job_id` (the finalize job's own) only if the marker is that job's: a marker
        removed by hand and replaced by a new submission belongs to the new jobs."""
        if job_id is not None:
            try:
                if job_id not in [str(j) for j in json.loads(self.submission_file.read_text()).get("job_ids") or []]:
                    return
            except (FileNotFoundError, ValueError):
                return
        self.submission_file.unlink(missing_ok=True)

    def _refuse_live_submission(self) -> None:
        """Refuse a build while a submitted Slurm build may still write here; drop a marker whose jobs Slurm
        no longer knows (they finished, failed or were cancelled without reaching finalize)."""
        from curate.cluster import queued_jobs

        path = self.submission_file
        try:
            record = json.loads(path.read_text())
        except FileNotFoundError:
            return
        except ValueError:
            record = {}
        ids = [str(j) for j in record.get("job_ids") or []]
        queued, why = queued_jobs(ids)
        if queued == []:
            self.end_submission()
            return
        when = f"submitted {record.get('time', '?')} from {record.get('host', '?')}"
        if queued is None:
            status = (f"Slurm job(s) {', '.join(ids)} ({when}) may still be running (squeue could not tell: {why})"
                      if ids else f"a Slurm submission ({when}) may still be running (no job id was recorded)")
        else:
            status = f"Slurm job(s) {', '.join(ids)} ({when}) are still queued: {'; '.join(queued[:5])}"
        check = f"squeue -j {','.join(ids)}" if ids else "squeue --me"
        cancel = f"scancel {' '.join(ids)}" if ids else "scancel"
        raise CurateError(f"{self.out_dir} is being built by {status}. Wait for them to finish ({check}) or "
                          f"cancel them ({cancel}), then rerun; if they are known to be dead, remove {path} "
                          "and rerun")

    # ---- one build at a time ------------------------------------------------------------------------
    @contextmanager
    def lock(self) -> Iterator[None]:
        """One build per output folder at a time: two would race on the same part files. A submitted Slurm
        build holds the folder too, through `submitted.json`, until its finalize job ends.

        A POSIX record lock (`lockf`), not `flock`: forked children (datatrove's Manager, pool workers) do
        not inherit it, so a `kill -9` of curate frees the folder at once instead of leaving it to an
        orphan. The file holds the owner's pid for the refusal message."""
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root / "lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        try:
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno not in (errno.EACCES, errno.EAGAIN):
                    raise
                owner = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
                raise CurateError(f"another curate build (pid {owner}) is writing into {self.out_dir}; "
                                  "wait for it to finish") from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            self._refuse_live_submission()
            yield
        finally:
            os.close(fd)  # closing releases the lock
