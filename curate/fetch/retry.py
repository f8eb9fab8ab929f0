"""The retry loop of `CachedFetcher`: one request sent until it gets a usable answer or runs out of tries.

`RetryingSender` is a mixin for `CachedFetcher` (it uses its `limiter`, `session`, `stats`, `retries`,
`backoff`, `timeout`, `deadline`, `max_bytes`, `max_download_bytes` and `max_retry_wait`). Each attempt
waits for the per-host rate limit first. 408/429/5xx answers, connection errors, timeouts, a blown
`deadline` and answers the caller's `accept` check refuses are retried with exponential backoff and
"equal jitter", or after the server's `Retry-After` (one longer than `max_retry_wait` is an error
instead). A bot-protection challenge raises `ChallengePageError` at once, and a body over the cap
`BodyTooLargeError`: neither is retried, cached or returned.

Bodies are streamed (`stream.read_body`): `timeout` bounds each read, `deadline` the whole attempt (a
server dripping its headers or body a byte per second defeats a per-read timeout, not the deadline:
`deadline.Deadline` shuts the connection down when the time is up), and `max_bytes` the body, so memory
stays bounded whatever the server sends. With a `sink` (downloads) the same loop writes the body to a
temp file instead, capped by `max_download_bytes`, and `deadline` bounds stalls (less than `STALL_BYTES`
received in `deadline` seconds), not the whole transfer; an attempt cut short part-way keeps its temp for
the retry to continue with `Range` when the server allows it (`resume`); any other removes its temp file.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3

from curate.fetch import resume
from curate.fetch.deadline import STALL_BYTES, Deadline
from curate.fetch.errors import (
    BodyTooLargeError,
    ChallengePageError,
    FetchError,
    RejectedAnswerError,
    challenge_detail,
    redact_url,
)
from curate.fetch.keys import parse_retry_after
from curate.fetch.response import FetchResponse
from curate.fetch.sink import FileSink
from curate.fetch.stream import DeadlineExceeded, DownloadTooLargeError, read_body

log = logging.getLogger("curate.fetch")

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504, 507, 509, 520, 521, 522, 523, 524})
# network failures, retried (a download's local disk errors arrive as `sink.CacheWriteError`, not OSError)
_TRANSIENT = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
              urllib3.exceptions.HTTPError, OSError, resume.ResumeError)


def cacheable(status: int) -> bool:
    """Statuses whose answer is the resource: 2xx except 202 "not ready yet", and 300 (Cellar's item list)."""
    return (200 <= status < 300 and status != 202) or status == 300


class RetryingSender:
    """Sends one request with rate limiting, retries, limits and checks (mixed into `CachedFetcher`)."""

    def _send_with_retries(self, method: str, url: str, headers: dict, data: Any,
                           accept: Callable[[FetchResponse], str | None] | None = None,
                           sink: FileSink | None = None) -> FetchResponse:
        try:
            return self._retry_loop(method, url, headers, data, accept, sink)
        except BaseException:
            if sink is not None:  # refused, cut short or failed: no temp file stays behind
                sink.discard()
            raise

    def _retry_loop(self, method: str, url: str, headers: dict, data: Any,
                    accept: Callable[[FetchResponse], str | None] | None, sink: FileSink | None) -> FetchResponse:
        host = urlsplit(url).hostname or ""
        attempts = self.retries + 1
        for attempt in range(attempts):
            self.limiter.wait(host)
            self.stats["requests"] += 1
            wait = None
            try:
                response = resume.restart_if_refused(lambda: self._attempt(method, url, headers, data, sink),
                                                     lambda: self.limiter.wait(host), self.stats, url)
            except DeadlineExceeded as exc:
                self.stats["deadline_exceeded"] += 1
                problem, status = f"deadline: {exc}", None
            except _TRANSIENT as exc:
                problem, status = f"{type(exc).__name__}: {exc}", None
            except requests.RequestException as exc:
                raise FetchError(url, None, f"{type(exc).__name__}: {exc}") from None
            else:
                status = response.status
                detail = challenge_detail(status, response.headers, response.content)
                if detail:
                    self.stats["challenges"] += 1
                    raise ChallengePageError(url, status, detail)
                if status not in RETRY_STATUSES:
                    reason = accept(response) if accept is not None and cacheable(status) else None
                    if reason is None:
                        return response
                    self.stats["rejected"] += 1
                    if attempt == attempts - 1:
                        raise RejectedAnswerError(url, status, reason, attempts)
                    problem = f"answer rejected: {reason}"
                else:
                    problem = f"HTTP {status}"
                    wait = parse_retry_after(response.headers.get("Retry-After"))
                    if wait is not None and wait > self.max_retry_wait:
                        raise FetchError(url, status, f"server asked to retry after {wait:.0f} s "
                                                      f"(more than max_retry_wait={self.max_retry_wait:.0f} s)")
            if attempt == attempts - 1:
                raise FetchError(url, status, f"gave up after {attempts} attempts; last: {problem}")
            if wait is None:  # exponential backoff with "equal jitter": half fixed, half random
                base = min(self.backoff * 2**attempt, 60.0)
                wait = base / 2 + random.uniform(0, base / 2)
            self.stats["retries"] += 1
            if sink is not None and not (status is None and resume.resumable(sink)):
                sink.discard()  # a refused or failed attempt's file does not wait out the backoff (unless resumed)
            log.info("%s %s: %s; retry %d/%d in %.2f s", method, redact_url(url), problem, attempt + 1,
                     self.retries, wait)
            time.sleep(wait)
        raise AssertionError("unreachable")

    def _attempt(self, method: str, url: str, headers: dict, data: Any, sink: FileSink | None = None) -> FetchResponse:
        """One request, its body streamed under the per-read timeout, the deadline and the size cap."""
        seconds = self.deadline if self.deadline and self.deadline > 0 else None
        timeout = self.timeout if seconds is None else min(self.timeout, seconds)
        with Deadline(seconds, stall_bytes=STALL_BYTES if sink is not None else None) as deadline:
            try:
                return self._read(method, url, headers, data, timeout, deadline, sink)
            except _TRANSIENT:
                if deadline.overdue():  # the timer broke the connection (or the read timed out with it)
                    raise DeadlineExceeded(deadline.problem()) from None
                raise

    def _read(self, method: str, url: str, headers: dict, data: Any, timeout: float,
              deadline: Deadline, sink: FileSink | None = None) -> FetchResponse:
        response = self.session.request(method, url, headers=resume.request_headers(headers, sink), data=data,
                                        timeout=timeout, stream=True)
        try:
            status, head, reason = resume.answer(sink, url, response, self.stats)  # a sink is ready for the body
            offset = sink.size if sink is not None else 0  # a continued download's bytes already on disk
            cap = self.max_bytes if sink is None else self.max_download_bytes
            limit = cap if cap and cap > 0 else None
            too_large = BodyTooLargeError if sink is None else DownloadTooLargeError
            declared = response.headers.get("Content-Length", "")
            if limit is not None and declared.isdigit() and offset + int(declared) > limit:
                raise too_large(url, response.status_code, offset + int(declared), limit, declared=True)
            file = None
            if response._content_consumed and isinstance(response._content, bytes):
                # a transport that already read the body (the fixture recorder): nothing left to stream
                content = response._content
                if limit is not None and len(content) > limit:
                    raise too_large(url, response.status_code, len(content), limit, declared=False)
                if sink is not None:
                    sink.write(content)
                    content, file = sink.prefix, sink.finish()
            else:
                content, file = read_body(response.raw, url, response.status_code, limit, deadline, sink)
            return FetchResponse(response.url, status, head, content, False, reason=reason, file=file)
        finally:
            response.close()
