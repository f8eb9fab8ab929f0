"""The fetcher's command-line settings: `--endpoint KEY=URL`, `--retries`, `--timeout`, `--deadline`, `--max-bytes`,
`--max-download-bytes`, `--rate-limit`.

`add_fetch_arguments` declares the flags on a parser (`curate build`); `endpoint_overrides` and
`fetch_settings` turn the parsed values into `BuildOptions.endpoints` and `BuildOptions.fetch`, refusing
bad values with a `CurateError` before anything is written. Neither is part of a build's fingerprint:
pointing at a mirror or retrying harder does not change what the data is, so a rerun with other
settings resumes the same build.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from curate.errors import CurateError


def add_fetch_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--endpoint", action="append", default=None, metavar="KEY=URL",
                   help="replace a remote endpoint's base URL, e.g. cellar=http://127.0.0.1:8000/cellar "
                        "(repeatable; the keys: curate info NAME)")
    p.add_argument("--retries", type=int, default=None, metavar="N", help="retries per request (default 5)")
    p.add_argument("--timeout", type=float, default=None, metavar="S", help="seconds per read (default 60)")
    p.add_argument("--deadline", type=float, default=None, metavar="S",
                   help="seconds per request attempt in total, body included (default 900; 0 = none); for "
                        "downloads, seconds without 1 MiB more arriving (a stall): a slow but steady file "
                        "finishes, a dripping one is cut off")
    p.add_argument("--max-bytes", type=int, default=None, metavar="N",
                   help="largest response body held in memory (API answers, pages; default 1 GiB; 0 = no cap)")
    p.add_argument("--max-download-bytes", type=int, default=None, metavar="N",
                   help="largest file a download streams to disk (dumps, archives; default and 0: no cap)")
    p.add_argument("--rate-limit", type=float, default=None, metavar="R",
                   help="requests per second per host, shared by all workers (default 1; 0 = unlimited, for a "
                        "local mirror only)")


def endpoint_overrides(builder_name: str, known: Mapping[str, str], values: Sequence[str] | None) -> dict[str, str]:
    """`["cellar=http://…", …]` → {key: base URL}; an unknown key or a value that is no http(s) URL is an error
    naming the valid keys."""
    out: dict[str, str] = {}
    for value in values or ():
        key, sep, url = value.partition("=")
        key, url = key.strip(), url.strip()
        if not sep or not key:
            raise CurateError(f"--endpoint {value!r}: expected KEY=URL")
        if key not in known:
            valid = ", ".join(f"{k} (default {v})" for k, v in sorted(known.items())) or "none: it fetches nothing"
            raise CurateError(f"--endpoint {key}: {builder_name} has no endpoint {key!r}; its endpoints: {valid}")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise CurateError(f"--endpoint {key}={url}: not an http(s) URL")
        out[key] = url.rstrip("/")
    return out


def fetch_settings(retries: int | None = None, timeout: float | None = None, deadline: float | None = None,
                   max_bytes: int | None = None, rate_limit: float | None = None,
                   max_download_bytes: int | None = None) -> dict[str, Any]:
    """The given settings as `CachedFetcher` keyword arguments, each checked."""
    out: dict[str, Any] = {}
    if retries is not None:
        if retries < 0:
            raise CurateError(f"--retries {retries}: must be 0 or more")
        out["retries"] = retries
    if timeout is not None:
        if not timeout > 0:
            raise CurateError(f"--timeout {timeout}: must be more than 0 seconds")
        out["timeout"] = timeout
    if deadline is not None:
        if deadline < 0:
            raise CurateError(f"--deadline {deadline}: must be 0 (none) or more seconds")
        out["deadline"] = deadline or None
    if max_bytes is not None:
        if max_bytes < 0:
            raise CurateError(f"--max-bytes {max_bytes}: must be 0 (no cap) or more")
        out["max_bytes"] = max_bytes or None
    if max_download_bytes is not None:
        if max_download_bytes < 0:
            raise CurateError(f"--max-download-bytes {max_download_bytes}: must be 0 (no cap) or more")
        out["max_download_bytes"] = max_download_bytes or None
    if rate_limit is not None:
        if rate_limit < 0:
            raise CurateError(f"--rate-limit {rate_limit}: must be 0 (unlimited) or more requests per second")
        out["rate_limit"] = rate_limit or None
    return out
