"""The per-attempt deadline, enforced even while a server drips its headers or body a byte at a time.

A read timeout bounds each wait for bytes, not the whole answer: a server sending one byte every second
never trips a 60 s timeout. `DeadlineAdapter` is the default transport of `CachedFetcher`: its connection
pools note which connection each request uses, and `Deadline` (a timer armed around one attempt) shuts
that connection's socket down when the time is up, which ends any blocked read at once. The retry loop
then reports `DeadlineExceeded` (retried like a timeout) instead of the broken read.
"""

from __future__ import annotations

import socket
import threading
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

_current = threading.local()  # the Deadline of the attempt running on this thread, if any


class Deadline:
    """Arms a timer for one attempt; on expiry shuts down the socket of the connection the attempt uses."""

    def __init__(self, seconds: float | None):
        self.seconds = seconds
        self.conn: Any = None
        self.expired = False
        self._timer: threading.Timer | None = None

    def __enter__(self) -> Deadline:
        _current.deadline = self
        if self.seconds:
            self._timer = threading.Timer(self.seconds, self._expire)
            self._timer.daemon = True
            self._timer.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        _current.deadline = None
        if self._timer is not None:
            self._timer.cancel()

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
