"""How much datatrove says, configured explicitly (datatrove has no log-level setting).

datatrove logs every task start and its stats at INFO on stderr. Without `--verbose` curate keeps
stderr at WARNING and lets each task's log file (`.curate/logs/units/logs/task_*.log`) keep everything:
the executors below swap datatrove's task-logger hook only while one of their ranks runs, in the process
that runs it. Nothing is patched at import time, and `--verbose` simply uses datatrove's own classes.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any

from datatrove.executor import LocalPipelineExecutor, RayPipelineExecutor, SlurmPipelineExecutor
from datatrove.executor import base as _base
from datatrove.executor import ray as _ray
from loguru import logger

from curate.errors import CurateError


def quiet_parent() -> None:
    """In the curate process: warnings and errors on stderr, not datatrove's INFO chatter."""
    logger.remove()
    logger.add(sys.stderr, level="WARNING")


def _stderr_format(record: dict) -> str:
    """A failed unit's CurateError is one line on stderr (its message names the URL or file; the task log
    keeps the traceback); any other exception is a bug and keeps its traceback."""
    exc = record["exception"]
    if exc is not None and isinstance(exc.value, CurateError):
        return "{time:YYYY-MM-DD HH:mm:ss} | {level} | {message}\n"
    return "{time:YYYY-MM-DD HH:mm:ss} | {level} | {message}\n{exception}"


def _task_logger(logging_dir: Any, rank: int, local_rank: int = 0, node_rank: int = -1) -> Any:
    """datatrove's per-task logger with stderr at WARNING; the task log file still gets everything."""
    logger.remove()
    logfile = logging_dir.open(f"logs/task_{rank:05d}.log", "w")
    logger.add(sys.stderr, level="WARNING", format=_stderr_format)
    logger.add(logfile, level="DEBUG", colorize=False)
    logger.info(f"Launching pipeline for {rank=}")
    return logfile


def _close_task_logger(logfile: Any) -> None:
    logger.complete()
    quiet_parent()
    logfile.close()


@contextlib.contextmanager
def _quiet_task_logs() -> Iterator[None]:
    saved = [(m, m.add_task_logger, m.close_task_logger) for m in (_base, _ray)]
    for module, _, _ in saved:
        module.add_task_logger, module.close_task_logger = _task_logger, _close_task_logger
    try:
        yield
    finally:
        for module, add, close in saved:
            module.add_task_logger, module.close_task_logger = add, close


class _QuietRanks:
    def _run_for_rank(self, rank: int, local_rank: int = 0, node_rank: int = -1) -> Any:
        with _quiet_task_logs():
            return super()._run_for_rank(rank, local_rank, node_rank=node_rank)


class QuietLocalExecutor(_QuietRanks, LocalPipelineExecutor):
    pass


class QuietRayExecutor(_QuietRanks, RayPipelineExecutor):
    pass


class QuietSlurmExecutor(_QuietRanks, SlurmPipelineExecutor):
    pass


def executor_class(kind: str, verbose: bool) -> type:
    """datatrove's executor class for `kind`, quiet on stderr unless `verbose`."""
    plain = {"local": LocalPipelineExecutor, "ray": RayPipelineExecutor, "slurm": SlurmPipelineExecutor}
    quiet = {"local": QuietLocalExecutor, "ray": QuietRayExecutor, "slurm": QuietSlurmExecutor}
    return (plain if verbose else quiet)[kind]
