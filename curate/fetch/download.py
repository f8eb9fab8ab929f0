"""`CachedFetcher.download(url, sha256=, size=)`: a whole file through the cache, verified; and the
tfds-style `checksums.tsv` a builder keeps beside its module (`url<TAB>size<TAB>sha256<TAB>filename`).

A download is a GET through the same cache as `fetcher.get(url)` (same request key), so a file fetched
by `curate build --download-only` is the one a later build reads, offline too. The expected size and
sha256 are checked as an `accept` rule: a body that does not match is retried, never cached, and ends
in `RejectedAnswerError` naming the URL and both digests; a cached body that no longer matches (e.g. the
checksum was re-registered) is dropped and fetched again. The returned path is the cache's
content-addressed object, `objects/<sha256>`: read it, never write it.

Limit: the body passes through memory once (bounded by the fetcher's `max_bytes`, 1 GiB by default);
multi-GB dumps want a streamed variant, which this module does not have yet.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from curate.errors import InputFormatError
from curate.fetch.response import FetchResponse
from curate.io import write_text_atomic

HEADER = "# url\tsize\tsha256\tfilename  (curate build NAME --register-checksums; tfds layout)"


@dataclass(frozen=True)
class Checksum:
    url: str
    size: int
    sha256: str
    filename: str


def expect_file(sha256: str | None, size: int | None):
    """An `accept` rule: the body has this size and sha256 (either may be None: not checked)."""

    def check(response: FetchResponse) -> str | None:
        if size is not None and len(response.content) != size:
            return f"size {len(response.content)} bytes differs from the expected {size}"
        if sha256 is not None:
            got = hashlib.sha256(response.content).hexdigest()
            if got != sha256:
                return f"sha256 {got} differs from the expected {sha256}"
        return None

    return check


def download(fetcher, url: str, sha256: str | None = None, size: int | None = None) -> Path:
    """The cached file for `url`, fetched if needed; its size and sha256 are checked when given."""
    response = fetcher.get(url, accept=expect_file(sha256.lower() if sha256 else None, size))
    digest = hashlib.sha256(response.content).hexdigest()
    path = fetcher.cache._object(digest)
    if not path.exists():  # an answer that is not cached (e.g. 202) still comes back as a file
        from curate.io import atomic_write

        atomic_write(path, response.content)
    fetcher.stats["downloads"] += 1
    fetcher.stats["download_bytes"] += len(response.content)
    return path


def checksum_of(url: str, path: Path) -> Checksum:
    data = Path(path).read_bytes()
    name = Path(unquote(urlsplit(url).path)).name or "index"
    return Checksum(url, len(data), hashlib.sha256(data).hexdigest(), name)


def read_checksums(path: Path) -> dict[str, Checksum]:
    """url → Checksum; a missing file is empty; a malformed line is an error naming file and line."""
    out: dict[str, Checksum] = {}
    if not Path(path).exists():
        return out
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) not in (3, 4) or not cols[1].isdigit() or len(cols[2]) != 64:
            raise InputFormatError(path, number, "expected url<TAB>size<TAB>sha256[<TAB>filename]")
        url = cols[0]
        out[url] = Checksum(url, int(cols[1]), cols[2].lower(), cols[3] if len(cols) == 4 else "")
    return out


def write_checksums(path: Path, entries: dict[str, Checksum]) -> None:
    lines = [HEADER] + [f"{c.url}\t{c.size}\t{c.sha256}\t{c.filename}" for c in sorted(entries.values(),
                                                                                         key=lambda c: c.url)]
    write_text_atomic(Path(path), "\n".join(lines) + "\n")
