"""How a request is identified: the cache key, the URL and body exactly as sent, and retry timing.

Two requests share a cached answer (and a cassette line) when `request_key` is equal: method, full URL
(`full_url`: params sorted, encoded the way requests encodes them), `Accept`, `Accept-Language` and the
body (`encode_body`). The module also holds the header constants shared by the cache, the cassette
replay and `scripts/record_fixtures.py`, and `parse_retry_after` for the server's `Retry-After` header.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import time
from collections.abc import Mapping
from datetime import UTC
from typing import Any

import requests
from requests.structures import CaseInsensitiveDict

from curate.fetch.errors import FetchError

CONTENT_HEADERS = ("Accept", "Accept-Language")  # request headers that change the answer: part of the key
DEFAULT_ACCEPT = "*/*"  # what requests sends when the caller sets no Accept
# headers never stored: transport details (bodies are stored decoded) and cookies (may carry session secrets)
DROPPED_RESPONSE_HEADERS = frozenset({"content-encoding", "transfer-encoding", "content-length", "connection",
                                      "keep-alive", "set-cookie"})


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
