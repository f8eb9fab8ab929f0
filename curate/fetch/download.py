"""`CachedFetcher.download(url, sha256=, size=)`: a whole file through the cache, verified; and the
tfds-style `checksums.tsv` a builder keeps beside its module (`url<TAB>size<TAB>sha256<TAB>filename`).

A download is a GET through the same cache as `fetcher.get(url)` (same request key and index entry), so a
file fetched by `curate build --download-only` is the one a later build reads, offline too, and `get(url)`
on a downloaded URL is a cache hit (one over `max_bytes` is refused unread). The body is streamed to disk, never held in memory: it is written
chunk by chunk to a temp file in the cache's `objects/` folder, hashed and counted as it arrives (under the
same per-read timeout, deadline, rate limit, retries and challenge detection as `get()`, but capped by
`max_download_bytes`, no cap by default, instead of `max_bytes`), then renamed to `objects/<sha256>`. The
expected size and sha256 are checked against what was measured, as an `accept` rule: a body that does
not match is retried, never cached, and ends in `RejectedAnswerError` naming the URL and both digests; a
refused or cut-short body leaves no temp file and no index entry. An answer that is not cached (202
"accepted, not ready yet") is never checked by the rule, so it is refused: a `FetchError`, nothing kept.
The deadline bounds stalls, not the whole download (`deadline.Deadline.progress`). A cache hit is checked
by streaming the object through sha256; a corrupted or no longer matching one (e.g. the checksum was
re-registered) is dropped and fetched again. The returned path is the cache's content-addressed object, `objects/<sha256>`:
read it, never write it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from curate.errors import InputFormatError
from curate.fetch.errors import FetchError
from curate.fetch.response import FetchResponse
from curate.fetch.retry import cacheable
from curate.io import file_sha256, write_text_atomic

HEADER = "# url\tsize\tsha256\tfilename  (curate build NAME --register-checksums; tfds layout)"


@dataclass(frozen=True)
class Checksum:
    url: str
    size: int
    sha256: str
    filename: str


def expect_file(sha256: str | None, size: int | None):
    """An `accept` rule: the body has this size and sha256 (either may be None: not checked). A streamed
    download is judged by its measured `file` (size, sha256), an answer in memory by its `content`."""

    def check(response: FetchResponse) -> str | None:
        file = response.file
        got_size = file.size if file is not None else len(response.content)
        if size is not None and got_size != size:
            return f"size {got_size} bytes differs from the expected {size}"
        if sha256 is not None:
            got = file.sha256 if file is not None else hashlib.sha256(response.content).hexdigest()
            if got != sha256:
                return f"sha256 {got} differs from the expected {sha256}"
        return None

    return check


def download(fetcher, url: str, sha256: str | None = None, size: int | None = None) -> Path:
    """The cached file for `url`, fetched if needed; its size and sha256 are checked when given."""
    sink = fetcher.cache.sink()
    try:
        response = fetcher.request("GET", url, accept=expect_file(sha256.lower() if sha256 else None, size),
                                   sink=sink)
        if not cacheable(response.status):  # 202 "accepted, not ready" and the like: never checked nor kept
            raise FetchError(url, response.status, "the server has not got the file ready (not a cacheable "
                                                   "answer, so its size and sha256 were not checked); run again later")
    finally:
        sink.discard()  # whatever went wrong, no temp file stays behind (a no-op once committed)
    fetcher.stats["downloads"] += 1
    fetcher.stats["download_bytes"] += response.file.size
    return fetcher.cache._object(response.file.sha256)


def checksum_of(url: str, path: Path) -> Checksum:
    """The checksums.tsv line for a downloaded file (read in chunks: it may be larger than memory)."""
    name = Path(unquote(urlsplit(url).path)).name or "index"
    return Checksum(url, Path(path).stat().st_size, file_sha256(path), name)


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
