"""The content-addressed on-disk cache behind `CachedFetcher`.

Bodies live once in `objects/<sha256 of body>` (shared by every request that got the same bytes) and each
request has one `index/<request key>.json` entry pointing at its body, both written temp + rename. Every
read re-checks the body's sha256: a corrupted entry is counted in `stats["cache_corrupted"]`, logged,
deleted (body included, since a bad body would poison every entry pointing at it) and reported to the
caller, which refetches it online or fails offline.

A download (`CachedFetcher.download`) never holds its body in memory: it arrives through a `sink.FileSink`
(a temp file in `objects/`, renamed to `objects/<sha256>` by `store`), and `load(..., on_disk=True)` checks
the object by streaming it through sha256 and hands back its path instead of its bytes. The index entry is
the same either way, so `get(url)` and `download(url)` share a cached answer (`get()` refuses one over
`max_bytes` without reading it: `BodyTooLargeError` pointing at `download()`).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from curate.fetch.errors import CachedBodyTooLargeError, redact_url
from curate.fetch.keys import DROPPED_RESPONSE_HEADERS
from curate.fetch.response import BodyFile
from curate.fetch.sink import FileSink, sweep_stale
from curate.fetch.stream import PREFIX
from curate.io import atomic_write, file_sha256

log = logging.getLogger("curate.fetch")


class ResponseCache:
    """`objects/<sha256>` holds bodies (shared between requests), `index/<key>.json` one entry per request."""

    def __init__(self, root: Path, stats: Counter):
        self.root = Path(root)
        self.stats = stats
        self._swept = False

    def _index(self, key: str) -> Path:
        return self.root / "index" / f"{key}.json"

    def _object(self, digest: str) -> Path:
        return self.root / "objects" / digest

    def sink(self) -> FileSink:
        """Where a download streams to; the first one also sweeps temps killed processes left (once a cache)."""
        if not self._swept:
            self._swept = True
            sweep_stale(self.root / "objects")
        return FileSink(self.root / "objects")

    def load(self, key: str, url: str, on_disk: bool = False,
             max_bytes: int | None = None) -> tuple[dict, bytes, BodyFile | None] | str | None:
        """(entry, body, None) on a hit; with `on_disk`, (entry, first PREFIX bytes, BodyFile): checked in
        chunks, never read whole. None on a miss; a string saying what was wrong with a corrupted entry. A
        body over `max_bytes` (a download's, read back by `get()`) raises `BodyTooLargeError` unread."""
        index = self._index(key)
        try:
            raw = index.read_bytes()
        except FileNotFoundError:
            return None
        problem, obj, file = None, None, None
        try:
            entry = json.loads(raw)
            digest = entry["content_sha256"]
            obj = self._object(digest)
            if on_disk:
                got = file_sha256(obj)
                file = BodyFile(obj, obj.stat().st_size, got)
                with obj.open("rb") as fh:  # what a live download carries as `content`: accept rules see the same
                    content = fh.read(PREFIX)
            else:
                size = obj.stat().st_size
                if max_bytes and max_bytes > 0 and size > max_bytes and not entry.get("negative"):
                    raise CachedBodyTooLargeError(url, entry.get("status"), size, max_bytes)
                content = obj.read_bytes()
                got = hashlib.sha256(content).hexdigest()
            if got != digest:
                problem = f"body {obj} does not match its sha256"
        except FileNotFoundError:
            problem = f"body {obj} is missing"
        except (ValueError, KeyError, TypeError) as exc:
            problem, obj = f"index entry {index} is unreadable ({type(exc).__name__})", None
        if problem is None:
            return entry, content, file
        self.stats["cache_corrupted"] += 1
        log.warning("corrupted cache entry for %s: %s; removed", redact_url(url), problem)
        index.unlink(missing_ok=True)
        if obj is not None and obj.exists():
            obj.unlink(missing_ok=True)  # a bad body would poison every entry pointing at it
        return problem

    def store(self, key: str, method: str, url: str, status: int, headers: Mapping[str, str],
              content: bytes | FileSink, negative: bool = False, final_url: str | None = None) -> None:
        """Write the body (bytes, or a download's finished `FileSink`, moved into place) and the entry."""
        if isinstance(content, FileSink):
            done = content.commit(self._object)
            digest, size = done.sha256, done.size
        else:
            digest, size = hashlib.sha256(content).hexdigest(), len(content)
            obj = self._object(digest)
            if not obj.exists():
                atomic_write(obj, content)
        entry = {
            "method": method, "url": url, "final_url": final_url or url, "status": status, "negative": negative,
            "headers": {k: v for k, v in headers.items() if k.lower() not in DROPPED_RESPONSE_HEADERS},
            "content_sha256": digest, "size": size,
            "fetched": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        atomic_write(self._index(key), json.dumps(entry, sort_keys=True, ensure_ascii=False).encode())
