"""The per-attempt deadline, enforced even while a server drips its headers or body a byte at a time.

A read timeout bounds each wait for bytes, not the whole answer: a server sending one byte every second
never trips a 60 s timeout. `DeadlineAdapter` is the default transport of `CachedFetcher`: its connection
pools note which connection each request uses, and `Deadline` (a timer armed around one attempt) shuts
that connection's socket down when the time is up, which ends any blocked read at once. The retry loop
then reports `DeadlineExceeded` (retried like a timeout) instead of the broken read.

For `get()`/`post()` the deadline bounds the whole attempt. A download (`Deadline(seconds, stall_bytes=)`)
may take longer than that (2 GB at 2 MB/s is 1,000 s), so there it bounds stalls instead: see `progress`.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

_current = threading.local()  # the Deadline of the attempt running on this thread, if any
STALL_BYTES = 1 << 20  # a download's deadline restarts after each further MiB received (`Deadline.progress`)


class Deadline:
    """Arms a timer for one attempt; on expiry shuts down the socket of the connection the attempt uses.
    With `stall_bytes`, each further `stall_bytes` received (`progress`) restarts it: a stall deadline."""

    def __init__(self, seconds: float | None, stall_bytes: int | None = None):
        self.seconds = seconds
        self.stall_bytes = stall_bytes
        self.conn: Any = None
        self.expired = False
        self._due = 0.0  # time.monotonic() at which the attempt expires
        self._since = 0  # bytes received since the timer last (re)started
        self._lock = threading.Lock()
        self._done: threading.Event | None = None

    def __enter__(self) -> Deadline:
        _current.deadline = self
        if self.seconds:
            self._due = time.monotonic() + self.seconds
            self._done = threading.Event()
            threading.Thread(target=self._watch, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        _current.deadline = None
        if self._done is not None:
            self._done.set()

    def progress(self, received: int) -> None:
        """`received` more body bytes arrived. For a stall deadline, the timer restarts once `stall_bytes`
        have come in since it last started, not on every byte: a body slower than `stall_bytes` per
        `seconds` (1 MiB per 900 s by default, about 1.1 KiB/s) is a stall, so a server dripping a byte
        every few seconds is still cut off, while a slow but steady multi-GB download runs to its end."""
        if not self.stall_bytes or not self.seconds:
            return
        self._since += received
        if self._since >= self.stall_bytes:
            with self._lock:
                if not self.expired:
                    self._since = 0
                    self._due = time.monotonic() + self.seconds

    def problem(self) -> str:
        """Why the attempt was cut off, for `DeadlineExceeded`."""
        if self.stall_bytes:
            return f"stalled: less than {self.stall_bytes} bytes arrived within deadline={self.seconds:g} s"
        return f"no complete answer within deadline={self.seconds:g} s"

    def overdue(self) -> bool:
        """Expired, or past due (a read timeout equal to the deadline may fire just before the timer does)."""
        return self.expired or bool(self.seconds) and time.monotonic() >= self._due

    def _watch(self) -> None:
        assert self._done is not None
        while not self._done.wait(max(self._due - time.monotonic(), 0.0)):
            with self._lock:
                if time.monotonic() >= self._due:  # not restarted by `progress` meanwhile
                    self._expire()
                    return

    def _expire(self) -> None:
        self.expired = True
        sock = getattr(self.conn, "sock", None)
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)  # a blocked recv returns at once; the pool discards the connection
            except OSError:
                pass


def _note(conn: Any) -> Any:
    deadline = getattr(_current, "deadline", None)
    if deadline is not None:
        deadline.conn = conn
    return conn


class _Pool(HTTPConnectionPool):
    def _get_conn(self, timeout: float | None = None) -> Any:
        return _note(super()._get_conn(timeout))


class _TLSPool(HTTPSConnectionPool):
    def _get_conn(self, timeout: float | None = None) -> Any:
        return _note(super()._get_conn(timeout))


class DeadlineAdapter(HTTPAdapter):
    """requests' ordinary transport, with connection pools that let a `Deadline` find their socket."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _Pool, "https": _TLSPool}
