"""What can go wrong when fetching, and how it is reported.

The fetch errors (`FetchError`, `OfflineCacheMiss`, `CassetteMiss`, `ChallengePageError`) are `CurateError`s
whose messages name the URL with secrets masked by `redact_url`; `challenge_detail` recognises bot-protection
challenge pages (AWS WAF, Cloudflare, DDoS-Guard and the common "checking your browser" interstitials) so
the client can refuse them instead of caching or returning them as content. `RejectedAnswerError` and
`BodyTooLargeError` are the `FetchError`s of an answer the caller's `accept` check refused and of a body
over `max_bytes`.
`redact_url` lives here rather than in `keys` because every message needs it and `keys.full_url` raises
`FetchError`: keeping it here avoids an import cycle.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from requests.structures import CaseInsensitiveDict

from curate.errors import CurateError

_SECRET_PARAM = re.compile(r"(token|key|secret|password|passwd|signature|sig|auth)", re.I)
# script markers found only in challenge pages: AWS WAF's JS interstitial, Cloudflare's challenge options
# (not `/cdn-cgi/challenge-platform/`: Cloudflare injects that script into ordinary pages too)
_CHALLENGE_MARKERS = (b"window.gokuprops", b"awswafcookiedomainlist", b"window._cf_chl_opt")
# <title> of interstitials (matched on the title only: an article may quote these words in its text)
_CHALLENGE_TITLES = re.compile(rb"^(just a moment(\.\.\.|\xe2\x80\xa6)|attention required! \| cloudflare|ddos-guard|"
                               rb"checking your browser.*|please wait while your request is being verified.*)$")
_TITLE = re.compile(rb"<title[^>]*>([^<]{0,200})</title>", re.I)


def redact_url(url: str) -> str:
    """The URL with secret-looking query values (token=, api_key=, ...) masked, for messages and logs."""
    parts = urlsplit(url)
    if not parts.query or not _SECRET_PARAM.search(parts.query):
        return url
    query = urlencode([(k, "***" if _SECRET_PARAM.search(k) else v) for k, v in parse_qsl(parts.query, True)])
    return urlunsplit(parts._replace(query=query))


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


class RejectedAnswerError(FetchError):
    """Every attempt got an answer the caller's `accept` check refused (e.g. a maintenance page with HTTP 200)."""

    def __init__(self, url: str, status: int | None, reason: str, attempts: int):
        self.reason = reason
        super().__init__(url, status, f"answer rejected after {attempts} attempt(s): {reason}; nothing was cached")


class BodyTooLargeError(FetchError):
    """The body is larger than `max_bytes` (not retried: the same request would get the same body)."""

    def __init__(self, url: str, status: int | None, size: int, max_bytes: int, declared: bool):
        what = f"declares {size} bytes" if declared else f"passed {size} bytes"
        super().__init__(url, status, f"body {what}, more than max_bytes={max_bytes}; raise --max-bytes to allow it")


class CachedBodyTooLargeError(BodyTooLargeError):
    """`get()`/`post()` hit a cached body over `max_bytes` (one `download()` streamed to disk): not read."""

    def __init__(self, url: str, status: int | None, size: int, max_bytes: int):
        FetchError.__init__(self, url, status, f"cached body is {size} bytes, more than max_bytes={max_bytes}; "
                                               "read it with download(url), which streams it from disk")


def challenge_detail(status: int, headers: Mapping[str, str], content: bytes) -> str | None:
    """Why this response is a bot-protection challenge, or None when it is real content."""
    headers = CaseInsensitiveDict(headers)
    action = headers.get("x-amzn-waf-action")
    if action:
        return f"x-amzn-waf-action: {action}"
    mitigated = headers.get("cf-mitigated")
    if mitigated:
        return f"cf-mitigated: {mitigated}"
    head = content[:16384].lower()
    for marker in _CHALLENGE_MARKERS:
        if marker in head:
            return f"challenge page ({marker.decode()})"
    title = _TITLE.search(head)
    if title and _CHALLENGE_TITLES.match(b" ".join(title.group(1).split())):
        return f"challenge page (title {title.group(1).strip().decode('utf-8', 'replace')!r})"
    return None
