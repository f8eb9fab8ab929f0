"""The retry loop of `CachedFetcher`: one request sent until it gets a usable answer or runs out of tries.

`RetryingSender` is a mixin for `CachedFetcher` (it uses its `limiter`, `session`, `stats`, `retries`,
`backoff`, `timeout` and `max_retry_wait`). Each attempt waits for the per-host rate limit first.
408/429/5xx answers, connection errors and timeouts are retried with exponential backoff and "equal
jitter", or after the server's `Retry-After` (one longer than `max_retry_wait` is an error instead).
A bot-protection challenge raises `ChallengePageError` at once: it is never retried, cached or returned.
"""

from __future__ import annotations

import logging
import random
import time
from typing import Any
from urllib.parse import urlsplit

import requests

from curate.fetch.errors import ChallengePageError, FetchError, challenge_detail, redact_url
from curate.fetch.keys import parse_retry_after

log = logging.getLogger("curate.fetch")

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504, 507, 509, 520, 521, 522, 523, 524})


class RetryingSender:
    """Sends one request with rate limiting, retries and challenge detection (mixed into `CachedFetcher`)."""

    def _send_with_retries(self, method: str, url: str, headers: dict, data: Any) -> requests.Response:
        host = urlsplit(url).hostname or ""
        attempts = self.retries + 1
        for attempt in range(attempts):
            self.limiter.wait(host)
            self.stats["requests"] += 1
            wait = None
            try:
                response = self.session.request(method, url, headers=headers, data=data, timeout=self.timeout)
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
                problem, status = f"{type(exc).__name__}: {exc}", None
            except requests.RequestException as exc:
                raise FetchError(url, None, f"{type(exc).__name__}: {exc}") from None
            else:
                detail = challenge_detail(response.status_code, response.headers, response.content)
                if detail:
                    self.stats["challenges"] += 1
                    raise ChallengePageError(url, response.status_code, detail)
                if response.status_code not in RETRY_STATUSES:
                    return response
                problem, status = f"HTTP {response.status_code}", response.status_code
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
            log.info("%s %s: %s; retry %d/%d in %.2f s", method, redact_url(url), problem, attempt + 1,
                     self.retries, wait)
            time.sleep(wait)
        raise AssertionError("unreachable")
