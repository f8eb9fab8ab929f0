"""`CachedFetcher`, the polite cached HTTP client every builder fetches through, and `fetch_cached`.

A request is answered from the cache (`cache.ResponseCache`) when it can be; offline, a miss raises
`OfflineCacheMiss`; otherwise it is sent through one `requests.Session` per thread (with the cassette or
`transport` adapter mounted when given) by the retry loop in `retry`. 2xx (except 202 "not ready yet")
and 300 answers are cached, and the `negative_statuses` (404, 410) as negative entries so an offline
rebuild fails the same way. The fetcher pickles for datatrove workers; sessions are rebuilt there.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from curate import __version__
from curate.fetch.accept import Accept
from curate.fetch.cache import ResponseCache
from curate.fetch.cassette import CassetteAdapter
from curate.fetch.deadline import DeadlineAdapter
from curate.fetch.errors import FetchError, OfflineCacheMiss, redact_url
from curate.fetch.keys import encode_body, full_url, request_key
from curate.fetch.ratelimit import HostRateLimiter
from curate.fetch.response import FetchResponse
from curate.fetch.retry import RetryingSender, cacheable
from curate.fetch.sink import FileSink

log = logging.getLogger("curate.fetch")
USER_AGENT = f"curate/{__version__} (+https://github.com/curate-nlp/curate)"


@dataclass
class CachedFetcher(RetryingSender):
    cache_dir: Path | str
    offline: bool = False
    cassette: Path | str | None = None
    rate_limit: float | None = 1.0  # requests per second per host; None or 0 = unlimited
    timeout: float = 60  # seconds per read (connect, and each wait for more bytes)
    retries: int = 5  # retries after the first attempt
    deadline: float | None = 900  # s per attempt, body included (downloads: per stall, deadline.py); 0/None: none
    max_bytes: int | None = 1 << 30  # largest body held in memory (get/post, decoded); None or 0 = no cap
    max_download_bytes: int | None = None  # largest file download() streams to disk; None or 0 = no cap
    backoff: float = 1.0  # first retry waits about this many seconds, doubling each time (with jitter)
    user_agent: str | None = None  # replaces USER_AGENT when given
    negative_statuses: tuple[int, ...] = (404, 410)  # cached as definitive "not there" answers
    max_retry_wait: float = 300  # a longer Retry-After is reported as an error instead of slept through
    transport: BaseAdapter | None = None  # mounted for http(s) instead of the default (e.g. a recording adapter)
    stats: Counter = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.cache_dir = Path(self.cache_dir)
        self.cache = ResponseCache(self.cache_dir, self.stats)
        self.limiter = HostRateLimiter(None if self.cassette else self.rate_limit, self.cache_dir / "ratelimit")
        self._adapter = CassetteAdapter(self.cassette) if self.cassette else self.transport
        self._local = threading.local()  # one requests.Session per thread: Session is not thread-safe

    def __getstate__(self) -> dict:  # picklable for datatrove workers: sessions and locks are rebuilt there
        state = self.__dict__.copy()
        state.pop("_local")
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._local = threading.local()

    @property
    def session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers["User-Agent"] = self.user_agent or USER_AGENT
            adapter = self._adapter if self._adapter is not None else DeadlineAdapter()
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            self._local.session = session
        return session

    def get(self, url: str, params: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None,
            accept: Accept | None = None) -> FetchResponse:
        return self.request("GET", url, params=params, headers=headers, accept=accept)

    def post(self, url: str, data: Any = None, params: Mapping[str, Any] | None = None,
             headers: Mapping[str, str] | None = None, accept: Accept | None = None) -> FetchResponse:
        return self.request("POST", url, params=params, headers=headers, data=data, accept=accept)

    def download(self, url: str, sha256: str | None = None, size: int | None = None) -> Path:
        """A whole file through the cache, its size and sha256 checked when given (`curate.fetch.download`)."""
        from curate.fetch.download import download

        return download(self, url, sha256=sha256, size=size)

    def forget(self, method: str, url: str, params: Mapping[str, Any] | None = None,
               headers: Mapping[str, str] | None = None, data: Any = None) -> None:
        """Drop the cached answer to one request (e.g. an API error a server sent with HTTP 200)."""
        key = request_key(method.upper(), full_url(url, params), dict(headers or {}), encode_body(data))
        self.cache._index(key).unlink(missing_ok=True)

    def request(self, method: str, url: str, params: Mapping[str, Any] | None = None,
                headers: Mapping[str, str] | None = None, data: Any = None,
                accept: Accept | None = None, sink: FileSink | None = None) -> FetchResponse:
        """One request through the cache. `accept(response)` returns None for a usable answer or why not:
        a refused answer is retried, never cached, and finally raises `RejectedAnswerError`; a cached
        answer it refuses (written by an older version, or by a caller without the check) is dropped.
        With a `sink` (`download`) the body streams to disk and the answer's `file` says where it is."""
        method = method.upper()
        url = full_url(url, params)
        headers = dict(headers or {})
        body = encode_body(data)
        key = request_key(method, url, headers, body)
        cached = self.cache.load(key, url, on_disk=sink is not None, max_bytes=None if sink else self.max_bytes)
        if isinstance(cached, tuple):
            entry, content, file = cached
            if entry.get("negative"):
                self.stats["cache_hits"] += 1
                raise FetchError(url, entry["status"], f"cached answer from {entry.get('fetched')}")
            hit = FetchResponse(entry.get("final_url") or url, entry["status"], CaseInsensitiveDict(entry["headers"]),
                                content, True, file=file)
            reason = accept(hit) if accept is not None else None
            if reason is None:
                self.stats["cache_hits"] += 1
                return hit
            self.stats["cache_rejected"] += 1
            log.warning("cached answer for %s refused (%s); removed", redact_url(url), reason)
            self.cache._index(key).unlink(missing_ok=True)
            cached = f"the cached answer was refused ({reason}) and removed"
        if self.offline:
            if cached is None:
                raise OfflineCacheMiss(url)
            problem = cached if cached.startswith("the cached answer") else \
                f"cache entry was corrupted ({cached}) and was removed"
            raise OfflineCacheMiss(url, f"{problem}; rerun without --offline")
        self.stats["cache_misses"] += 1
        response = self._send_with_retries(method, url, headers, data, accept, sink)
        status = response.status
        content = response.content if sink is None else sink  # a download's body is moved, not rewritten
        try:
            if cacheable(status):
                self.cache.store(key, method, url, status, response.headers, content, final_url=response.url)
                return response if sink is None else replace(response, file=sink.committed)  # the object
            if status in self.negative_statuses:
                self.cache.store(key, method, url, status, response.headers, content, negative=True)
            if status < 400:  # 202 (not ready yet) and other non-cached answers go back to the caller
                return response  # a download's body is still the sink's temp: the caller commits or discards it
            raise FetchError(url, status, response.reason)
        except BaseException:
            if sink is not None:  # an error answer (403) or a failed store: its temp file does not stay behind
                sink.discard()
            raise


def fetch_cached(url: str, cache_dir: Path | str, params: Mapping[str, Any] | None = None,
                 headers: Mapping[str, str] | None = None, **fetcher_options: Any) -> FetchResponse:
    """One GET through a throwaway `CachedFetcher` (the rate limit still holds: it lives in `cache_dir`)."""
    return CachedFetcher(cache_dir, **fetcher_options).get(url, params=params, headers=headers)
