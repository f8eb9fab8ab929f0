"""Helper processes die with the curate process that started them.

`kill -9 PID` (or SIGTERM, whose default action is just as abrupt) of `curate build` gives its children
no chance to clean up: datatrove's `multiprocess.Manager` and the pool workers would live on, and the
workers would keep writing part files next to a rerun. Two mechanisms, both Linux-only and harmless
elsewhere:

- `armed(pid)`: while it is active, every `os.fork()` of this process (datatrove's Manager) asks the
  kernel for SIGKILL when its parent dies (`PR_SET_PDEATHSIG`).
- `watch(pid)`: in a pool worker (forked by the forkserver, not by curate) a daemon thread waits on a
  pidfd of the curate process and SIGKILLs the worker as soon as that process is gone. A pidfd names one
  process, so a reused PID cannot fool it.

A killed worker leaves a unit without its `done.json`, which the rerun redoes: nothing is lost.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import select
import signal
import threading
import time
from collections.abc import Iterator

PR_SET_PDEATHSIG = 1
_armed_for: int | None = None  # pid whose forks must die with it, while dispatching
_watching: int | None = None


def _set_pdeathsig() -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
    except (OSError, AttributeError):  # not Linux: the watch thread still covers pool workers
        return False


def _after_fork_in_child() -> None:
    if _armed_for is None:
        return
    parent = _armed_for
    _set_pdeathsig()
    if os.getppid() != parent:  # the parent died before prctl took effect: nobody would kill us
        os._exit(1)


os.register_at_fork(after_in_child=_after_fork_in_child)


@contextlib.contextmanager
def armed() -> Iterator[None]:
    """Children forked by this process (its main thread) inside the block die with it."""
    global _armed_for
    previous, _armed_for = _armed_for, os.getpid()
    try:
        yield
    finally:
        _armed_for = previous


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _wait_for_exit(pid: int) -> None:
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        _die()
        return
    except (OSError, AttributeError):  # no pidfd (old kernel, not Linux): poll the pid
        while True:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                _die()
            except PermissionError:
                pass
            time.sleep(0.2)
    select.select([fd], [], [])  # readable once the process has exited
    _die()


def watch(pid: int) -> None:
    """In a worker process: die (SIGKILL) when process `pid`, the curate parent, is gone. Idempotent."""
    global _watching
    if pid == os.getpid() or _watching == pid:
        return
    _watching = pid
    _set_pdeathsig()  # the direct parent (the forkserver) exits with curate too
    threading.Thread(target=_wait_for_exit, args=(pid,), name="curate-lifeline", daemon=True).start()
