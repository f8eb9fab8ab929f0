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

Modules: `errors` (the exceptions, URL redaction, challenge detection), `keys` (request keys, URL and body
encoding, `Retry-After`), `response` (`FetchResponse`), `cache` (`ResponseCache`), `ratelimit`
(`HostRateLimiter`), `cassette` (`CassetteAdapter`), `retry` (the retry loop), `client` (`CachedFetcher`,
`fetch_cached`). Every public name is re-exported here: import from `curate.fetch`.
"""

from curate.fetch.cache import ResponseCache
from curate.fetch.cassette import CassetteAdapter
from curate.fetch.client import USER_AGENT, CachedFetcher, fetch_cached
from curate.fetch.errors import (
    CassetteMiss,
    ChallengePageError,
    FetchError,
    OfflineCacheMiss,
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
    "CONTENT_HEADERS", "DEFAULT_ACCEPT", "DROPPED_RESPONSE_HEADERS", "RETRY_STATUSES", "USER_AGENT",
    "CachedFetcher", "CassetteAdapter", "CassetteMiss", "ChallengePageError", "FetchError", "FetchResponse",
    "HostRateLimiter", "OfflineCacheMiss", "ResponseCache", "challenge_detail", "encode_body", "fetch_cached",
    "full_url", "parse_retry_after", "redact_url", "request_key",
]
