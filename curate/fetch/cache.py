"""The content-addressed on-disk cache behind `CachedFetcher`.

Bodies live once in `objects/<sha256 of body>` (shared by every request that got the same bytes) and each
request has one `index/<request key>.json` entry pointing at its body, both written temp + rename. Every
read re-checks the body's sha256: a corrupted entry is counted in `stats["cache_corrupted"]`, logged,
deleted (body included, since a bad body would poison every entry pointing at it) and reported to the
caller, which refetches it online or fails offline.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from curate.fetch.errors import redact_url
from curate.fetch.keys import DROPPED_RESPONSE_HEADERS
from curate.io import atomic_write

log = logging.getLogger("curate.fetch")


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
