"""Checks a caller passes as `accept=` so that an answer it would refuse is never cached.

A server can answer HTTP 200 with something that is not the resource: a maintenance page, an HTML error
page where JSON was asked for, a truncated or replaced file. `CachedFetcher.get(url, accept=check)` runs
`check(response)` on every answer before caching it (and on every cache hit): `check` returns None for a
usable answer or a short reason. A refused answer is retried like a 503 (it is usually transient), never
cached, and in the end raises `RejectedAnswerError`, so the work unit fails and a rerun asks again.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable

from curate.fetch.response import FetchResponse

Accept = Callable[[FetchResponse], "str | None"]

_TITLE = re.compile(rb"<title[^>]*>([^<]{0,300})</title>", re.I)
_TAGS = re.compile(rb"<(script|style)\b.*?</\1\s*>|<[^>]*>", re.I | re.S)
# phrases of outage pages, not single words: a short act may well be *about* maintenance or access
_MAINTENANCE = re.compile(
    rb"(under|scheduled|planned|down for) maintenance|maintenance (mode|in progress|window)|"
    rb"temporarily unavailable|service unavailable|site unavailable|currently unavailable|under construction|"
    rb"bad gateway|gateway time-?out|internal server error|too many requests|try again (later|in a few minutes)|"
    rb"we.{0,3}ll be back|request rejected|(http|error)\s*50[0-9]\b", re.I)
_MAINTENANCE_TITLE = re.compile(rb"^\s*(site |system )?(maintenance|error|unavailable|down)( page)?\s*$", re.I)
SHORT_PAGE = 3000  # visible characters: an error page is a few lines, a document (act, summary) far more


def expect_json(response: FetchResponse) -> str | None:
    """The body parses as JSON (an HTML error page or a truncated body does not)."""
    try:
        json.loads(response.content)
    except (ValueError, RecursionError) as exc:  # RecursionError: nested deeper than json can follow
        ctype = response.headers.get("Content-Type", "?")
        return f"not JSON (Content-Type {ctype}, {len(response.content)} bytes): {exc}"
    return None


def expect_json_object(response: FetchResponse) -> str | None:
    """The body is a JSON object (what every MediaWiki and SPARQL JSON answer is)."""
    problem = expect_json(response)
    if problem is None and not isinstance(json.loads(response.content), dict):
        problem = "JSON answer is not an object"
    return problem


def expect_sha256(digest: str) -> Accept:
    """The body has exactly this sha256 (a pinned file)."""

    def check(response: FetchResponse) -> str | None:
        got = hashlib.sha256(response.content).hexdigest()
        return None if got == digest else f"sha256 {got} does not match the pinned {digest}"

    return check


def visible_text(content: bytes) -> bytes:
    """Roughly the text a browser would show (tags, scripts and styles dropped, whitespace collapsed)."""
    return b" ".join(_TAGS.sub(b" ", content[:1 << 20]).split())


def maintenance_detail(response: FetchResponse) -> str | None:
    """Why an HTML answer looks like a maintenance or error page rather than a document, or None.

    Only short pages are judged (a long document may well mention "service unavailable"): the title,
    or the visible text, must name an outage."""
    if not _is_html(response) and b"<html" not in response.content[:4096].lower():
        return None
    text = visible_text(response.content)
    if len(text) > SHORT_PAGE:
        return None
    title = _TITLE.search(response.content[:16384])
    title_text = title.group(1) if title else b""
    if _MAINTENANCE_TITLE.match(title_text):
        return f"maintenance or error page (title {title_text.strip().decode('utf-8', 'replace')!r})"
    for where, value in (("title", title_text), ("text", text)):
        hit = _MAINTENANCE.search(value)
        if hit:
            return f"maintenance or error page ({where} says {hit.group(0).decode('utf-8', 'replace')!r})"
    return None


def expect_document(response: FetchResponse) -> str | None:
    """A non-empty body that is not a maintenance or error page, and an HTML page that is not cut short
    (a connection closed early without Content-Length looks complete to the transport)."""
    if not response.content.strip():
        return "empty body"
    problem = maintenance_detail(response)
    if problem is None and _is_html(response):
        tail = response.content[-2048:].lower()
        if b"</html>" not in tail and b"</body>" not in tail:
            problem = "truncated HTML (no closing </body> or </html> at the end)"
    return problem


def _is_html(response: FetchResponse) -> bool:
    ctype = response.headers.get("Content-Type", "").lower()
    return "html" in ctype or (not ctype and b"<html" in response.content[:4096].lower())
