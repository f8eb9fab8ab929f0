"""Response bodies read chunk by chunk: into memory for `get()`/`post()`, into a file for downloads.

`read_body` is the one loop both use (called by `retry.RetryingSender._read`): each chunk is counted
against the size cap and checked against the deadline as it arrives (and reported to it: a download's
deadline bounds stalls, not the whole transfer, `deadline.Deadline.progress`). Without a sink the chunks fill one
buffer, as `get()` answers always did; with a `sink.FileSink` (`CachedFetcher.download`) they go to a temp
file inside the cache's `objects/` folder, hashed (sha256) and counted while they stream, so memory stays
at one chunk whatever the file's size. The response then carries the body as `FetchResponse.file`
(path, size, sha256) and only its first `PREFIX` bytes as `content`, which is all challenge detection reads.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from curate.fetch.errors import BodyTooLargeError, FetchError
from curate.fetch.response import BodyFile
from curate.fetch.resume import check_complete

if TYPE_CHECKING:
    from curate.fetch.sink import FileSink

CHUNK = 64 * 1024
PREFIX = 16384  # what `challenge_detail` looks at (it reads `content[:16384]`)


class DeadlineExceeded(Exception):
    """One attempt ran past `deadline` seconds (retried like a timeout)."""


class DownloadTooLargeError(BodyTooLargeError):
    """A download is larger than `max_download_bytes` (not retried, nothing kept)."""

    def __init__(self, url: str, status: int | None, size: int, cap: int, declared: bool):
        what = f"declares {size} bytes" if declared else f"passed {size} bytes"
        FetchError.__init__(self, url, status, f"download {what}, more than max_download_bytes={cap}; "
                                               "raise --max-download-bytes to allow it")


def read_body(raw: Any, url: str, status: int, limit: int | None, deadline: Any,
              sink: FileSink | None) -> tuple[bytes, BodyFile | None]:
    """The body of `raw` (a urllib3 response) read chunk by chunk: (bytes, None) into memory, or (first
    bytes, file) into `sink`. Over `limit` raises; a read cut short by the deadline raises DeadlineExceeded."""
    too_large = BodyTooLargeError if sink is None else DownloadTooLargeError
    body = io.BytesIO() if sink is None else None  # getvalue() hands over its buffer: no second copy
    out: Any = body if sink is None else sink
    received = 0 if sink is None else sink.size  # a continued download counts from its first byte
    while True:
        chunk = raw.read1(CHUNK, decode_content=True)
        if deadline.expired:  # a body cut short by the deadline's shutdown is not an answer
            raise DeadlineExceeded(f"{deadline.problem()} ({received} bytes received)")
        if not chunk:
            break
        out.write(chunk)
        received += len(chunk)
        deadline.progress(len(chunk))  # a download's (stall) deadline restarts as the body keeps coming
        if limit is not None and received > limit:
            raise too_large(url, status, received, limit, declared=False)
    if sink is None:
        return body.getvalue(), None
    check_complete(sink)
    return sink.prefix, sink.finish()
