"""The polite, cached HTTP client every builder fetches through.

    fetcher = CachedFetcher(cache_dir)                  # or ctx.fetcher inside a builder
    page = fetcher.get(url, params={"q": "x"}, headers={"Accept-Language": "mt"})
    page.content, page.text, page.json(), page.from_cache

What it guarantees:
- per-host rate limit (`rate_limit` requests/s), shared by every thread *and process* that uses the same
  cache folder (an `fcntl` lock file per host), so `--workers N` stays as polite as one worker;
- bounded requests: `timeout` per read, `deadline` per attempt in total (a dripping server cannot hold a
  worker), `max_bytes` per `get()`/`post()` body (streamed into one buffer, refused past the cap, never
  retried); `download(url, sha256=)` streams to a temp file in the cache instead (`max_download_bytes`),
  and a retry continues a body cut part-way with `Range`/`If-Range` when the server allows it (`resume`);
- retries with exponential backoff and jitter on 408/429/5xx, connection errors, timeouts, a blown
  deadline and refused answers, honouring `Retry-After` (seconds or HTTP date);
- answers checked before they are cached: `get(url, accept=check)` (see `accept`: `expect_json`,
  `expect_sha256`, `expect_document`); a refused answer is retried, never cached, and raises
  `RejectedAnswerError` in the end, so the unit fails and a rerun asks again;
- a content-addressed cache: `objects/<sha256 of body>` plus `index/<request key>.json`, written temp + rename,
  checked on every read (a corrupted entry is counted, deleted and refetched; offline it is an error);
  2xx (except 202 "not ready yet") and 300 (Cellar's list of manifestations) are cached, and the statuses in
  `negative_statuses` (404, 410) are cached as *negative* entries so an offline rebuild fails the same way;
- offline mode: every answer comes from the cache or raises `OfflineCacheMiss` naming the URL;
- bot-protection challenges (AWS WAF `x-amzn-waf-action`, Cloudflare `cf-mitigated`, and interstitials:
  AWS `gokuProps`, Cloudflare "Just a moment...", "Attention Required!", "Checking your browser",
  DDoS-Guard) raise `ChallengePageError`; they are never cached and never returned as content;
- counters in `stats` (requests, retries, challenges, rejected, cache hits/misses/corrupted/rejected,
  deadline_exceeded, download_resumes, download_resumed_bytes), which each work unit reports to the manifest;
- cassette replay (`cassette=folder`): `CassetteAdapter` is mounted as the transport, so replay runs through
  the same retries, challenge detection and cache writes as a live fetch. Replays are not rate limited
  (nothing remote is contacted). `scripts/record_fixtures.py` records cassettes through `transport=`.
Format and rules: docs/architecture.md (Fetcher) and docs/notes/issue-2-fetch-push.md.

Modules: `accept` (answer checks), `errors` (the exceptions, URL redaction, challenge detection), `keys`
(request keys, URL and body encoding, `Retry-After`), `response` (`FetchResponse`), `cache`
(`ResponseCache`), `ratelimit` (`HostRateLimiter`), `cassette` (`CassetteAdapter`), `deadline` (the
per-attempt timer and `DeadlineAdapter`), `retry` (the retry loop), `stream` (bodies read chunk by
chunk), `sink` (`FileSink`: a download's temp file, `CacheWriteError`), `resume` (continuing a cut
download with `Range`), `client`
(`CachedFetcher`, `fetch_cached`), `settings` (the `curate build` fetch flags and `--endpoint`), `download`
(verified whole-file downloads). Every public name is re-exported here: import from `curate.fetch`.
"""

from curate.fetch.accept import (
    Accept,
    expect_document,
    expect_json,
    expect_json_object,
    expect_sha256,
    maintenance_detail,
)
from curate.fetch.cache import ResponseCache
from curate.fetch.cassette import CassetteAdapter
from curate.fetch.client import USER_AGENT, CachedFetcher, fetch_cached
from curate.fetch.errors import (
    BodyTooLargeError,
    CassetteMiss,
    ChallengePageError,
    FetchError,
    OfflineCacheMiss,
    RejectedAnswerError,
    challenge_detail,
    redact_url,
)
from curate.fetch.keys import (
    CONTENT_HEADERS,
    DEFAULT_ACCEPT,
    DROPPED_RESPONSE_HEADERS,
    encode_body,
    full_url,
    parse_retry_after,
    request_key,
)
from curate.fetch.ratelimit import HostRateLimiter
from curate.fetch.response import FetchResponse
from curate.fetch.retry import RETRY_STATUSES

__all__ = [
    "Accept", "BodyTooLargeError", "RejectedAnswerError", "expect_document", "expect_json", "expect_json_object",
    "expect_sha256", "maintenance_detail",
    "CONTENT_HEADERS", "DEFAULT_ACCEPT", "DROPPED_RESPONSE_HEADERS", "RETRY_STATUSES", "USER_AGENT",
    "CachedFetcher", "CassetteAdapter", "CassetteMiss", "ChallengePageError", "FetchError", "FetchResponse",
    "HostRateLimiter", "OfflineCacheMiss", "ResponseCache", "challenge_detail", "encode_body", "fetch_cached",
    "full_url", "parse_retry_after", "redact_url", "request_key",
]
