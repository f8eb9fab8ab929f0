"""The answer a fetch returns, live or from the cache.

`FetchResponse` is a frozen value: final URL, status, headers, body bytes and whether it came from the
cache. A download (`CachedFetcher.download`) streams its body to disk: its `file` is a `BodyFile` (path,
size, sha256) and `content` holds only the first bytes. `text` decodes the body with the declared charset (UTF-8 when none is declared, rather than
requests' ISO-8859-1 default) and `json()` parses it, raising `InputFormatError` naming the URL.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from requests.structures import CaseInsensitiveDict

from curate.errors import InputFormatError
from curate.fetch.errors import redact_url


@dataclass(frozen=True)
class BodyFile:
    """A body on disk: the cache's `objects/<sha256>`, or a download's temp file before it is committed."""

    path: Path
    size: int
    sha256: str


@dataclass(frozen=True)
class FetchResponse:
    url: str  # final URL (after redirects) for live answers; the requested URL for cached ones
    status: int
    headers: CaseInsensitiveDict
    content: bytes
    from_cache: bool
    reason: str = ""  # the status line's reason phrase (live answers only)
    file: BodyFile | None = None  # a streamed download's body; `content` is then only its first bytes

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
        except (ValueError, RecursionError) as exc:  # RecursionError: nested deeper than json can follow
            raise InputFormatError(redact_url(self.url), getattr(exc, "lineno", None),
                                   f"invalid JSON in the response: {exc}") from None
