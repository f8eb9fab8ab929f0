"""Cassette replay: a requests transport that answers from recorded exchanges instead of the network.

`CachedFetcher(cassette=folder)` mounts `CassetteAdapter` for http(s), so replayed answers go through the
same retries, challenge detection and cache writes as live ones. A cassette is a folder with `index.jsonl`
(one recorded exchange a line) and the body files it names; `scripts/record_fixtures.py` writes them. A
request with no recorded line raises `CassetteMiss` listing what *was* recorded for that URL.
"""

from __future__ import annotations

import io
import json
import threading
from collections import Counter
from http import HTTPStatus
from pathlib import Path
from typing import Any

import requests
from requests.adapters import BaseAdapter, HTTPAdapter
from requests.structures import CaseInsensitiveDict

from curate.errors import InputFormatError
from curate.fetch.errors import CassetteMiss
from curate.fetch.keys import DEFAULT_ACCEPT, DROPPED_RESPONSE_HEADERS, encode_body, full_url, request_key


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
