"""The polite, cached HTTP client every builder fetches through.

    fetcher = CachedFetcher(cache_dir)                  # or ctx.fetcher inside a builder
    page = fetcher.get(url, params={"q": "x"}, headers={"Accept-Language": "mt"})
    page.content, page.text, page.json(), page.from_cache

What it guarantees:
- per-host rate limit (`rate_limit` requests/s), shared by every thread *and process* that uses the same
  cache folder (an `fcntl` lock file per host), so `--workers N` stays as polite as one worker;
- timeouts; retries with exponential backoff and jitter on 408/429/5xx, connection errors and timeouts,
  honouring `Retry-After` (seconds or HTTP date);
- a content-addressed cache: `objects/<sha256 of body>` plus `index/<request key>.json`, written temp + rename,
  checked on every read (a corrupted entry is counted, deleted and refetched; offline it is an error);
  2xx (except 202 "not ready yet") and 300 (Cellar's list of manifestations) are cached, and the statuses in
  `negative_statuses` (404, 410) are cached as *negative* entries so an offline rebuild fails the same way;
- offline mode: every answer comes from the cache or raises `OfflineCacheMiss` naming the URL;
- bot-protection challenges (AWS WAF: `x-amzn-waf-action` header, or the `gokuProps` interstitial) raise
  `ChallengePageError`; they are never cached and never returned as content;
- cassette replay (`cassette=folder`): `CassetteAdapter` is mounted as the transport, so replay runs through
  the same retries, challenge detection and cache writes as a live fetch. Replays are not rate limited
  (nothing remote is contacted). `scripts/record_fixtures.py` records cassettes through `transport=`.
Format and rules: docs/architecture.md (Fetcher) and docs/notes/issue-2-fetch-push.md.
"""

from __future__ import annotations

import email.utils
import hashlib
import io
import json
import logging
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from requests.adapters import BaseAdapter, HTTPAdapter
from requests.structures import CaseInsensitiveDict

from curate import __version__
from curate.errors import CurateError, InputFormatError
from curate.io import atomic_write

try:  # POSIX: cross-process rate limiting; elsewhere the limit holds per process only
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

log = logging.getLogger("curate.fetch")

USER_AGENT = f"curate/{__version__} (+https://github.com/curate-nlp/curate)"
CONTENT_HEADERS = ("Accept", "Accept-Language")  # request headers that change the answer: part of the key
DEFAULT_ACCEPT = "*/*"  # what requests sends when the caller sets no Accept
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504, 507, 509, 520, 521, 522, 523, 524})
# headers never stored: transport details (bodies are stored decoded) and cookies (may carry session secrets)
DROPPED_RESPONSE_HEADERS = frozenset({"content-encoding", "transfer-encoding", "content-length", "connection",
                                      "keep-alive", "set-cookie"})
_SECRET_PARAM = re.compile(r"(token|key|secret|password|passwd|signature|sig|auth)", re.I)
_CHALLENGE_MARKERS = (b"window.gokuprops", b"awswafcookiedomainlist")  # AWS WAF JS interstitial


# ---- errors --------------------------------------------------------------------------------------------------
class FetchError(CurateError):
    """The server answered with an error (or never answered) after all retries."""

    def __init__(self, url: str, status: int | None, message: str = ""):
        self.url, self.status = url, status
        code = f"HTTP {status}" if status is not None else "no response"
        super().__init__(f"{redact_url(url)}: {code}" + (f": {message}" if message else ""))


class OfflineCacheMiss(CurateError):
    """Offline (or replaying a cassette) and the request has no stored answer."""

    def __init__(self, url: str, reason: str = "not in the cache and --offline forbids the network"):
        self.url = url
        super().__init__(f"{redact_url(url)}: {reason}")


class CassetteMiss(OfflineCacheMiss):
    """Replaying a cassette that has no recorded exchange for this request."""


class ChallengePageError(CurateError):
    """A bot-protection challenge came back instead of the content (never cached, never parsed)."""

    def __init__(self, url: str, status: int, detail: str):
        self.url, self.status = url, status
        super().__init__(f"{redact_url(url)}: bot-protection challenge (HTTP {status}, {detail}) instead of content; "
                         "lower the request rate, use an API route without the challenge (e.g. Cellar for EUR-Lex), "
                         "or build from the cache with --offline")


# ---- small helpers -------------------------------------------------------------------------------------------
def redact_url(url: str) -> str:
    """The URL with secret-looking query values (token=, api_key=, ...) masked, for messages and logs."""
    parts = urlsplit(url)
    if not parts.query or not _SECRET_PARAM.search(parts.query):
        return url
    query = urlencode([(k, "***" if _SECRET_PARAM.search(k) else v) for k, v in parse_qsl(parts.query, True)])
    return urlunsplit(parts._replace(query=query))


def full_url(url: str, params: Mapping[str, Any] | None = None) -> str:
    """`url` with `params` appended in sorted order, encoded exactly as requests sends it (the key's URL)."""
    items = sorted(params.items() if isinstance(params, Mapping) else params, key=lambda kv: kv[0]) if params else None
    try:
        return requests.Request("GET", url, params=items).prepare().url
    except (requests.RequestException, ValueError) as exc:
        raise FetchError(url, None, f"invalid URL: {exc}") from None


def encode_body(data: Any) -> bytes:
    """The request body as bytes: str/bytes as given, a dict or pairs form-encoded the way requests does."""
    if data is None:
        return b""
    if isinstance(data, bytes):
        return data
    if isinstance(data, str):
        return data.encode("utf-8")
    body = requests.Request("POST", "http://x/", data=data).prepare().body
    return body.encode("utf-8") if isinstance(body, str) else (body or b"")


def request_key(method: str, url: str, headers: Mapping[str, str], body: bytes) -> str:
    """sha256 over what determines the answer: method, full URL, Accept/Accept-Language, body."""
    headers = CaseInsensitiveDict(headers)
    material = {
        "method": method.upper(),
        "url": url,
        "accept": headers.get("Accept", DEFAULT_ACCEPT),
        "accept_language": headers.get("Accept-Language", ""),
        "body_sha256": hashlib.sha256(body).hexdigest(),
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or HTTP date); None when absent or invalid."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def challenge_detail(status: int, headers: Mapping[str, str], content: bytes) -> str | None:
    """Why this response is a bot-protection challenge, or None when it is real content."""
    action = CaseInsensitiveDict(headers).get("x-amzn-waf-action")
    if action:
        return f"x-amzn-waf-action: {action}"
    head = content[:16384].lower()
    for marker in _CHALLENGE_MARKERS:
        if marker in head:
            return f"challenge page ({marker.decode()})"
    return None


# ---- the response --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FetchResponse:
    url: str  # final URL (after redirects) for live answers; the requested URL for cached ones
    status: int
    headers: CaseInsensitiveDict
    content: bytes
    from_cache: bool

    @property
    def text(self) -> str:
        """Body decoded with the charset the server declared, else UTF-8 (invalid bytes replaced).

        HTML parsers sniff `<meta charset>` themselves: prefer giving them `content`."""
        charset = requests.utils.get_encoding_from_headers(self.headers)
        if charset is None or (charset.lower() == "iso-8859-1" and "charset" not in self.headers.get(
                "Content-Type", "").lower()):
            charset = "utf-8"  # requests' ISO-8859-1 default for text/* is wrong for almost all modern pages
        try:
            return self.content.decode(charset, errors="replace")
        except LookupError:
            return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        try:
            return json.loads(self.content)
        except ValueError as exc:
            raise InputFormatError(redact_url(self.url), getattr(exc, "lineno", None),
                                   f"invalid JSON in the response: {exc}") from None


# ---- the on-disk cache ---------------------------------------------------------------------------------------
class ResponseCache:
    """`objects/<sha256>` holds bodies (shared between requests), `index/<key>.json` one entry per request."""

    def __init__(self, root: Path, stats: Counter):
        self.root = Path(root)
        self.stats = stats

    def _index(self, key: str) -> Path:
        return self.root / "index" / f"{key}.json"

    def _object(self, digest: str) -> Path:
        return self.root / "objects" / digest

    def load(self, key: str, url: str) -> tuple[dict, bytes] | str | None:
        """(entry, body) on a hit; None on a miss; a string saying what was wrong with a corrupted entry."""
        index = self._index(key)
        try:
            raw = index.read_bytes()
        except FileNotFoundError:
            return None
        problem, obj = None, None
        try:
            entry = json.loads(raw)
            digest = entry["content_sha256"]
            obj = self._object(digest)
            content = obj.read_bytes()
            if hashlib.sha256(content).hexdigest() != digest:
                problem = f"body {obj} does not match its sha256"
        except FileNotFoundError:
            problem = f"body {obj} is missing"
        except (ValueError, KeyError, TypeError) as exc:
            problem, obj = f"index entry {index} is unreadable ({type(exc).__name__})", None
        if problem is None:
            return entry, content
        self.stats["cache_corrupted"] += 1
        log.warning("corrupted cache entry for %s: %s; removed", redact_url(url), problem)
        index.unlink(missing_ok=True)
        if obj is not None and obj.exists():
            obj.unlink(missing_ok=True)  # a bad body would poison every entry pointing at it
        return problem

    def store(self, key: str, method: str, url: str, status: int, headers: Mapping[str, str], content: bytes,
              negative: bool = False, final_url: str | None = None) -> None:
        digest = hashlib.sha256(content).hexdigest()
        obj = self._object(digest)
        if not obj.exists():
            atomic_write(obj, content)
        entry = {
            "method": method, "url": url, "final_url": final_url or url, "status": status, "negative": negative,
            "headers": {k: v for k, v in headers.items() if k.lower() not in DROPPED_RESPONSE_HEADERS},
            "content_sha256": digest, "size": len(content),
            "fetched": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        atomic_write(self._index(key), json.dumps(entry, sort_keys=True, ensure_ascii=False).encode())


# ---- rate limit ----------------------------------------------------------------------------------------------
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


# ---- cassette replay -----------------------------------------------------------------------------------------
class CassetteAdapter(BaseAdapter):
    """A requests transport that answers from a recorded cassette folder instead of the network.

    A request matches a recorded line when method, full URL (line `url` + `params`, encoded as `full_url`
    does), `Accept`, `Accept-Language` (missing = `*/*` / empty) and body (line `data`: a string, or a dict
    form-encoded) are equal. Lines with the same request are served in file order; the last one repeats."""

    def __init__(self, folder: str | Path):
        super().__init__()
        self.folder = Path(folder)
        self.lines: dict[str, list[dict]] = {}
        self.served: Counter = Counter()
        self.by_url: dict[str, set[str]] = {}  # full URL -> recorded request variants, for miss messages
        self._lock = threading.Lock()
        index = self.folder / "index.jsonl"
        if not index.is_file():
            raise InputFormatError(index, None, "cassette folder has no index.jsonl")
        for lineno, raw in enumerate(index.read_text(encoding="utf-8").splitlines(), 1):
            if not raw.strip():
                continue
            try:
                line = json.loads(raw)
                key = request_key(line.get("method", "GET"), full_url(line["url"], line.get("params")),
                                  line.get("request_headers") or {}, encode_body(line.get("data")))
                int(line["status"])
            except (ValueError, KeyError, TypeError) as exc:
                raise InputFormatError(index, lineno, f"bad cassette line: {exc}") from None
            line["_lineno"] = lineno
            self.lines.setdefault(key, []).append(line)
            sent = CaseInsensitiveDict(line.get("request_headers") or {})
            self.by_url.setdefault(full_url(line["url"], line.get("params")), set()).add(
                f"{line.get('method', 'GET')} Accept={sent.get('Accept', DEFAULT_ACCEPT)!r} "
                f"Accept-Language={sent.get('Accept-Language', '')!r}")

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
             verify: Any = True, cert: Any = None, proxies: Any = None) -> requests.Response:
        import urllib3

        key = request_key(request.method, request.url, request.headers, encode_body(request.body))
        with self._lock:
            lines = self.lines.get(key)
            if not lines:
                sent = request.headers
                near = sorted(self.by_url.get(request.url, ()))
                hint = f"; recorded for this URL: {', '.join(near)}" if near else ""
                raise CassetteMiss(request.url, f"no recorded {request.method} exchange (Accept="
                                   f"{sent.get('Accept', DEFAULT_ACCEPT)!r} Accept-Language="
                                   f"{sent.get('Accept-Language', '')!r}, body of {len(encode_body(request.body))} "
                                   f"bytes) in cassette {self.folder}{hint}; record it with "
                                   "scripts/record_fixtures.py")
            line = lines[min(self.served[key], len(lines) - 1)]
            self.served[key] += 1
        body = b""
        if line.get("body"):
            path = self.folder / line["body"]
            try:
                body = path.read_bytes()
            except OSError as exc:
                raise InputFormatError(self.folder / "index.jsonl", line["_lineno"], f"body file: {exc}") from None
        headers = {k: v for k, v in (line.get("headers") or {}).items() if k.lower() not in DROPPED_RESPONSE_HEADERS}
        status = int(line["status"])
        reason = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else None
        raw = urllib3.HTTPResponse(body=io.BytesIO(body), headers=headers, status=status, reason=reason,
                                   preload_content=False, decode_content=False)
        return HTTPAdapter.build_response(self, request, raw)  # same Response shape as a live answer

    def close(self) -> None:
        pass


# ---- the fetcher ---------------------------------------------------------------------------------------------
@dataclass
class CachedFetcher:
    cache_dir: Path | str
    offline: bool = False
    cassette: Path | str | None = None
    rate_limit: float | None = 1.0  # requests per second per host; None or 0 = unlimited
    timeout: float = 60
    retries: int = 5  # retries after the first attempt
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
            if self._adapter is not None:
                session.mount("http://", self._adapter)
                session.mount("https://", self._adapter)
            self._local.session = session
        return session

    def get(self, url: str, params: Mapping[str, Any] | None = None,
            headers: Mapping[str, str] | None = None) -> FetchResponse:
        return self.request("GET", url, params=params, headers=headers)

    def post(self, url: str, data: Any = None, params: Mapping[str, Any] | None = None,
             headers: Mapping[str, str] | None = None) -> FetchResponse:
        return self.request("POST", url, params=params, headers=headers, data=data)

    def forget(self, method: str, url: str, params: Mapping[str, Any] | None = None,
               headers: Mapping[str, str] | None = None, data: Any = None) -> None:
        """Drop the cached answer to one request (e.g. an API error a server sent with HTTP 200)."""
        key = request_key(method.upper(), full_url(url, params), dict(headers or {}), encode_body(data))
        self.cache._index(key).unlink(missing_ok=True)

    def request(self, method: str, url: str, params: Mapping[str, Any] | None = None,
                headers: Mapping[str, str] | None = None, data: Any = None) -> FetchResponse:
        method = method.upper()
        url = full_url(url, params)
        headers = dict(headers or {})
        body = encode_body(data)
        key = request_key(method, url, headers, body)
        cached = self.cache.load(key, url)
        if isinstance(cached, tuple):
            entry, content = cached
            self.stats["cache_hits"] += 1
            if entry.get("negative"):
                raise FetchError(url, entry["status"], f"cached answer from {entry.get('fetched')}")
            return FetchResponse(entry.get("final_url") or url, entry["status"], CaseInsensitiveDict(entry["headers"]),
                                 content, True)
        if self.offline:
            reason = "not in the cache and --offline forbids the network"
            raise OfflineCacheMiss(url, reason if cached is None else f"cache entry was corrupted ({cached}) and "
                                                                      "was removed; rerun without --offline")
        self.stats["cache_misses"] += 1
        response = self._send_with_retries(method, url, headers, data)
        status, content = response.status_code, response.content
        if (200 <= status < 300 and status != 202) or status == 300:
            self.cache.store(key, method, url, status, response.headers, content, final_url=response.url)
            return FetchResponse(response.url, status, CaseInsensitiveDict(response.headers), content, False)
        if status in self.negative_statuses:
            self.cache.store(key, method, url, status, response.headers, content, negative=True)
        if status < 400:  # 202 (not ready yet) and other non-cached, non-error answers go back to the caller
            return FetchResponse(response.url, status, CaseInsensitiveDict(response.headers), content, False)
        raise FetchError(url, status, response.reason or "")

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


def fetch_cached(url: str, cache_dir: Path | str, params: Mapping[str, Any] | None = None,
                 headers: Mapping[str, str] | None = None, **fetcher_options: Any) -> FetchResponse:
    """One GET through a throwaway `CachedFetcher` (the rate limit still holds: it lives in `cache_dir`)."""
    return CachedFetcher(cache_dir, **fetcher_options).get(url, params=params, headers=headers)
