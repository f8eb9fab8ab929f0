"""The per-host rate limiter that keeps every worker together as polite as one.

`HostRateLimiter` allows at most `rate` requests per second per host across all threads *and processes*
that share one lock folder (the fetch cache's `ratelimit/`): the next allowed start time per host is kept
in a file under an exclusive `fcntl` lock. Where `fcntl` is missing (Windows) the limit holds per process
only. The limiter pickles to its interval and folder, so datatrove workers rebuild their own locks.
"""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

try:  # POSIX: cross-process rate limiting; elsewhere the limit holds per process only
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None


class HostRateLimiter:
    """At most `rate` requests per second per host, across threads and processes sharing `lock_dir`.

    The next allowed start time per host lives in `lock_dir/<host>`; a process takes an exclusive `flock` on
    it, sleeps until that time, and pushes it one interval further. Sleeping under the lock is deliberate:
    it queues the workers instead of letting them all fire when the slot opens."""

    def __init__(self, rate: float | None, lock_dir: Path):
        self.interval = 1.0 / rate if rate and rate > 0 else 0.0
        self.lock_dir = Path(lock_dir)
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self._next: dict[str, float] = {}  # used when fcntl is unavailable

    def wait(self, host: str) -> None:
        if self.interval <= 0:
            return
        with self._guard:
            lock = self._locks.setdefault(host, threading.Lock())
        with lock:
            if fcntl is None:  # pragma: no cover - Windows
                self._next[host] = self._sleep_until(self._next.get(host, 0.0))
                return
            self.lock_dir.mkdir(parents=True, exist_ok=True)
            with open(self.lock_dir / re.sub(r"[^A-Za-z0-9.-]", "_", host or "_"), "a+b") as f:
                fcntl.flock(f, fcntl.LOCK_EX)
                f.seek(0)
                try:
                    next_at = float(f.read() or 0.0)
                except ValueError:
                    next_at = 0.0
                next_at = self._sleep_until(next_at)
                f.seek(0)
                f.truncate()
                f.write(repr(next_at).encode())
                f.flush()

    def _sleep_until(self, next_at: float) -> float:
        now = time.time()
        if next_at > now:
            time.sleep(next_at - now)
            now = next_at
        return now + self.interval

    def __getstate__(self) -> dict:
        return {"interval": self.interval, "lock_dir": self.lock_dir}

    def __setstate__(self, state: dict) -> None:
        self.__init__(None, state["lock_dir"])
        self.interval = state["interval"]
