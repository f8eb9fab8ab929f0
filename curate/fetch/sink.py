"""Where a download's body streams to: `FileSink`, a temp file in the cache's `objects/` folder.

The sink hashes (sha256) and counts the body while `stream.read_body` writes it, keeps its first `PREFIX`
bytes for challenge detection, and `commit` renames the finished file to `objects/<sha256>` (same folder:
atomic). Temp files are named `.tmp-<random>.part`: never `<64 hex>`, so a temp cannot be taken for an
object. The sink removes its temp on any failure (cut-short body, refused answer, error); one left by a
killed process is removed by `sweep_stale` once it has not been written for a day (`ResponseCache.sink`
runs it once per cache) and until then is harmless: nothing reads it.

A local disk error (full disk, read-only filesystem, no permission on `objects/`) is a `CacheWriteError`,
not an `OSError`: the retry loop retries OSErrors as network failures, and refetching a whole body only to
hit the same full disk helps nobody.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from curate.errors import CurateError
from curate.fetch.errors import FetchError, redact_url
from curate.fetch.response import BodyFile
from curate.fetch.stream import PREFIX
from curate.io import current_umask, durable, fsync_dir

TEMP_PREFIX, TEMP_SUFFIX = ".tmp-", ".part"
STALE_SECONDS = 24 * 3600


class CacheWriteError(CurateError):
    """The cache's disk refused the download (full, read-only, no permission): not a network problem, so
    not retried (a retry would fetch the whole body again only to fail the same way); no temp file stays."""

    def __init__(self, url: str, path: Path, exc: OSError):
        self.url, self.path = url, path
        super().__init__(f"{redact_url(url)}: cannot write the download to {path}: {exc.strerror or exc}; "
                         "nothing was kept (free disk space, or check the cache folder's permissions)")


class FileSink:
    """Where one download's body streams to: a temp file in `folder`, hashed and counted as it is written.

    `begin()` starts an attempt (dropping any earlier one's temp); `commit(object_path)` moves the finished
    file to `object_path(sha256)` (same folder, so the rename is atomic); `discard()` removes an unfinished
    or refused one and is safe to call at any time."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.url = ""  # the download's URL, for error messages (set by `begin`)
        self.path: Path | None = None
        self.committed: BodyFile | None = None  # the object, once `commit` moved the body there
        self.size = 0
        self.prefix = b""
        self.resume: Any = None  # `resume.Partial`: what a retry may continue (set by `resume.answer`)
        self._file: Any = None
        self._hash: Any = None

    def begin(self, url: str = "") -> None:
        self.discard()
        self.url = url or self.url
        fd = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX)
            self.path = Path(tmp)
            os.fchmod(fd, 0o666 & ~current_umask())  # like every cache file: the umask decides, not mkstemp's 0600
            # once fdopen has the fd, a failure inside it closes the fd itself: closing it here again could
            # close another thread's file that reused the number
            handed, fd = fd, None
            self._file = os.fdopen(handed, "wb")
        except OSError as exc:
            if fd is not None:
                os.close(fd)
            raise self._failed(exc) from None
        self._hash, self.size, self.prefix = hashlib.sha256(), 0, b""

    def write(self, chunk: bytes) -> None:
        try:
            self._file.write(chunk)
        except OSError as exc:
            raise self._failed(exc) from None
        self._hash.update(chunk)
        self.size += len(chunk)
        if len(self.prefix) < PREFIX:
            self.prefix += chunk[:PREFIX - len(self.prefix)]

    def finish(self) -> BodyFile:
        """Close the temp file (fsynced under --durable) and describe it."""
        if self._file is not None:
            try:
                if durable():
                    self._file.flush()
                    os.fsync(self._file.fileno())
                self._file.close()  # the last buffered bytes are written here: a full disk may show only now
            except OSError as exc:
                raise self._failed(exc) from None
            self._file = None
        return BodyFile(self.path, self.size, self._hash.hexdigest())

    @property
    def is_open(self) -> bool:
        """The temp file is open for writing: begun, not yet finished or discarded."""
        return self._file is not None

    @property
    def pending(self) -> bool:
        """A finished body not yet committed or discarded."""
        return self.path is not None

    def commit(self, object_path: Any) -> BodyFile:
        """Move the body to `object_path(sha256)`; the same bytes already there are simply replaced."""
        done = self.finish()
        target = Path(object_path(done.sha256))
        try:
            os.replace(done.path, target)
        except FileNotFoundError:  # a stale-temp sweep took it: this process was paused for over a day
            self.path = None
            raise FetchError(self.url, None, f"the finished download {done.path} was removed before it could be "
                                             "kept (by another process's sweep of stale temps?); run again") from None
        except OSError as exc:
            raise self._failed(exc) from None
        self.path = None
        if durable():
            fsync_dir(target.parent)
        self.committed = BodyFile(target, done.size, done.sha256)
        return self.committed

    def discard(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):  # closing flushes: on a full disk that fails again
                self._file.close()
            self._file = None
        if self.path is not None:
            self.path.unlink(missing_ok=True)
            self.path = None

    def _failed(self, exc: OSError) -> CacheWriteError:
        """A local disk error (full, read-only, no permission) as a `CacheWriteError`, the temp removed."""
        where = self.path or self.folder
        self.discard()
        return CacheWriteError(self.url, where, exc)


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
