"""Response bodies read chunk by chunk: into memory for `get()`/`post()`, into a file for downloads.

`read_body` is the one loop both use (called by `retry.RetryingSender._read`): each chunk is counted
against the size cap and checked against the deadline as it arrives. Without a sink the chunks fill one
buffer, as `get()` answers always did; with a `FileSink` (`CachedFetcher.download`) they go to a temp
file inside the cache's `objects/` folder, hashed (sha256) and counted while they stream, so memory stays
at one chunk whatever the file's size. The response then carries the body as `FetchResponse.file`
(path, size, sha256) and only its first `PREFIX` bytes as `content`, which is all challenge detection reads.

Temp files are named `.tmp-<random>.part`: never `<64 hex>`, so a temp cannot be taken for an object. The
sink removes its temp on any failure (cut-short body, refused answer, error); one left by a killed process
is removed by `sweep_stale` once it has not been written for a day (`ResponseCache.sink` runs it once per
cache) and until then is harmless: nothing reads it.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from curate.fetch.errors import BodyTooLargeError, FetchError
from curate.fetch.response import BodyFile
from curate.io import current_umask, durable, fsync_dir

CHUNK = 64 * 1024
PREFIX = 16384  # what `challenge_detail` looks at (it reads `content[:16384]`)
TEMP_PREFIX, TEMP_SUFFIX = ".tmp-", ".part"
STALE_SECONDS = 24 * 3600


class DeadlineExceeded(Exception):
    """One attempt ran past `deadline` seconds (retried like a timeout)."""


class DownloadTooLargeError(BodyTooLargeError):
    """A download is larger than `max_download_bytes` (not retried, nothing kept)."""

    def __init__(self, url: str, status: int | None, size: int, cap: int, declared: bool):
        what = f"declares {size} bytes" if declared else f"passed {size} bytes"
        FetchError.__init__(self, url, status, f"download {what}, more than max_download_bytes={cap}; "
                                               "raise --max-download-bytes to allow it")


class FileSink:
    """Where one download's body streams to: a temp file in `folder`, hashed and counted as it is written.

    `begin()` starts an attempt (dropping any earlier one's temp); `commit(object_path)` moves the finished
    file to `object_path(sha256)` (same folder, so the rename is atomic); `discard()` removes an unfinished
    or refused one and is safe to call at any time."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.path: Path | None = None
        self.committed: BodyFile | None = None  # the object, once `commit` moved the body there
        self.size = 0
        self.prefix = b""
        self._file: Any = None
        self._hash: Any = None

    def begin(self) -> None:
        self.discard()
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX)
        self.path = Path(tmp)
        os.fchmod(fd, 0o666 & ~current_umask())  # like every cache file: the umask decides, not mkstemp's 0600
        self._file = os.fdopen(fd, "wb")
        self._hash, self.size, self.prefix = hashlib.sha256(), 0, b""

    def write(self, chunk: bytes) -> None:
        self._file.write(chunk)
        self._hash.update(chunk)
        self.size += len(chunk)
        if len(self.prefix) < PREFIX:
            self.prefix += chunk[:PREFIX - len(self.prefix)]

    def finish(self) -> BodyFile:
        """Close the temp file (fsynced under --durable) and describe it."""
        if self._file is not None:
            if durable():
                self._file.flush()
                os.fsync(self._file.fileno())
            self._file.close()
            self._file = None
        return BodyFile(self.path, self.size, self._hash.hexdigest())

    @property
    def pending(self) -> bool:
        """A finished body not yet committed or discarded."""
        return self.path is not None

    def commit(self, object_path: Any) -> BodyFile:
        """Move the body to `object_path(sha256)`; the same bytes already there are simply replaced."""
        done = self.finish()
        target = Path(object_path(done.sha256))
        os.replace(done.path, target)
        self.path = None
        if durable():
            fsync_dir(target.parent)
        self.committed = BodyFile(target, done.size, done.sha256)
        return self.committed

    def discard(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        if self.path is not None:
            self.path.unlink(missing_ok=True)
            self.path = None


def sweep_stale(folder: Path, max_age: float = STALE_SECONDS) -> int:
    """Remove temps (ours, and `atomic_write`'s `.<name>.*.tmp`) left in `folder` by killed processes: only
    those not written for `max_age` seconds, so a download still running elsewhere keeps its file."""
    removed, now = 0, time.time()
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return 0
    for entry in entries:
        name = entry.name
        if name.startswith(".") and (name.endswith(TEMP_SUFFIX) or name.endswith(".tmp")):
            try:
                if now - entry.stat().st_mtime > max_age:
                    os.unlink(entry.path)
                    removed += 1
            except FileNotFoundError:
                pass  # another process swept it first
    return removed


def read_body(raw: Any, url: str, status: int, limit: int | None, deadline: Any,
              sink: FileSink | None) -> tuple[bytes, BodyFile | None]:
    """The body of `raw` (a urllib3 response) read chunk by chunk: (bytes, None) into memory, or (first
    bytes, file) into `sink`. Over `limit` raises; a read cut short by the deadline raises DeadlineExceeded."""
    too_large = BodyTooLargeError if sink is None else DownloadTooLargeError
    body = io.BytesIO() if sink is None else None  # getvalue() hands over its buffer: no second copy
    out: Any = body if sink is None else sink
    received = 0
    while True:
        chunk = raw.read1(CHUNK, decode_content=True)
        if deadline.expired:  # a body cut short by the deadline's shutdown is not an answer
            raise DeadlineExceeded(f"no complete answer within deadline={deadline.seconds:g} s "
                                   f"({received} bytes received)")
        if not chunk:
            break
        out.write(chunk)
        received += len(chunk)
        if limit is not None and received > limit:
            raise too_large(url, status, received, limit, declared=False)
    if sink is None:
        return body.getvalue(), None
    return sink.prefix, sink.finish()
