"""A download cut short part-way resumes with `Range: bytes=N-` on the retry, only when that is safe (the
first answer advertised byte ranges and a strong validator, sent back as `If-Range`), and the file is
always the body a single clean attempt gives: never a splice of two versions. Served by a 127.0.0.1
server started here that honours `Range`/`If-Range`."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import json
import time
from pathlib import Path

import pytest
from local_server import serve

from curate.fetch import CachedFetcher, FetchError, RejectedAnswerError
from curate.fetch.resume import validator_of
from curate.fetch.stream import DownloadTooLargeError

BLOCK = bytes(range(256)) * 256  # 64 KiB
BLOCK2 = bytes(range(255, -1, -1)) * 256  # the file's second version: same size, other bytes
MIB = 1 << 20
MODIFIED = {1: "Mon, 02 Jan 2023 00:00:00 GMT", 2: "Tue, 03 Jan 2023 00:00:00 GMT"}


def body_of(blocks: int, version: int = 1) -> bytes:
    return (BLOCK if version == 1 else BLOCK2) * blocks


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def server():
    """GET /r/<blocks>?...: `blocks` x 64 KiB with `ETag: "v1"` and `Accept-Ranges: bytes`, honouring
    `Range: bytes=N-` (206) when `If-Range` is absent or matches. Options: `cut=K` cuts the first request
    for this URL after K bytes (`&stall=1`: stops sending for 3 s first; `&cutall=1`: every request); `ranges=0` no Accept-Ranges and
    no 206; `etag=weak|none`; `lm=1` sends Last-Modified; `ignore=1` answers 200 to a Range; `change=1`
    serves version 2 (other bytes, `ETag: "v2"`) from the second request on (`liar=1`: answering a Range
    with 206 even when `If-Range` no longer matches, as a broken server would); `bad=start` answers 206 one
    byte off, `bad=416` answers 416, `bad=total` names another total, `bad=end` ends the range before the
    last byte; `etag=bare` sends the non-conforming unquoted `ETag: v1`; `gz=1` gzips a 206 (ignoring
    `Accept-Encoding: identity`); `busy=1` answers 503 ("busy", `Retry-After: 0`) to a Range; `chunked=1` sends 200s chunked (no
    `Content-Length`), `chunked=2` 206s too; `short=K` ends the first 206 cleanly (chunked) after K bytes.
    Each request is recorded: path, Range, If-Range, Accept-Encoding, status, bytes sent."""
    hits: list[dict] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802 (http.server's name)
            path, _, query = self.path.partition("?")
            opts = dict(p.split("=") for p in query.split("&") if p)
            seen = sum(1 for h in hits if h["path"] == self.path)
            hit = {"path": self.path, "range": self.headers.get("Range"), "if_range": self.headers.get("If-Range"),
                   "encoding": self.headers.get("Accept-Encoding"), "status": None, "sent": 0}
            hits.append(hit)
            version = 2 if opts.get("change") and seen else 1
            body = body_of(int(path.rsplit("/", 1)[1]), version)
            tags = {"strong": f'"v{version}"', "weak": f'W/"v{version}"', "bare": f"v{version}", "none": None}
            etag, modified = tags[opts.get("etag", "strong")], MODIFIED[version] if opts.get("lm") else None
            ranges = opts.get("ranges", "1") == "1"
            start, status = 0, 200
            asked, if_range = self.headers.get("Range"), self.headers.get("If-Range")
            if asked and ranges and not opts.get("ignore") and (if_range is None or if_range in (etag, modified)
                                                                or opts.get("liar")):
                start, status = int(asked.removeprefix("bytes=").rstrip("-")), 206
            if status == 206 and opts.get("bad") == "416":
                status = 416
            if status == 206 and opts.get("busy"):
                status = 503
            hit["status"] = status
            self.send_response(status)
            if etag:
                self.send_header("ETag", etag)
            if modified:
                self.send_header("Last-Modified", modified)
            if ranges:
                self.send_header("Accept-Ranges", "bytes")
            if status in (416, 503):
                if status == 416:
                    self.send_header("Content-Range", f"bytes */{len(body)}")
                busy = b"busy" if status == 503 else b""
                self.send_header("Content-Length", str(len(busy)))
                self.send_header("Retry-After", "0")
                self.end_headers()
                self.wfile.write(busy)
                return
            end, total = len(body) - 1, len(body)
            if status == 206:
                shown = start + 1 if opts.get("bad") == "start" else start
                end, total = {"total": (end + 1, total + 1), "end": (end - 1, total)}.get(opts.get("bad"), (end, total))
                self.send_header("Content-Range", f"bytes {shown}-{end}/{total}")
                if opts.get("gz"):
                    self.send_header("Content-Encoding", "gzip")
                    body, start = gzip.compress(body[start:]), 0
            short = int(opts.get("short", 0)) if status == 206 and sum(h["status"] == 206 for h in hits) == 1 else 0
            chunked = short or int(opts.get("chunked", 0)) >= (2 if status == 206 else 1)
            if chunked:
                self.send_header("Transfer-Encoding", "chunked")
            else:
                self.send_header("Content-Length", str(len(body) - start))
            self.send_header("Connection", "close")
            self.end_headers()
            cut = int(opts.get("cut", 0)) if not seen or opts.get("cutall") else 0
            pos = start
            try:
                while pos < len(body):
                    if cut and pos >= cut:
                        self.wfile.flush()
                        if opts.get("stall"):
                            time.sleep(3)
                        self.connection.shutdown(2)  # the connection drops mid-body
                        return
                    if short and pos >= short:
                        break  # the body ends cleanly, short
                    n = min(len(BLOCK), len(body) - pos, (cut - pos) if cut else len(BLOCK))
                    piece = body[pos:pos + n]
                    self.wfile.write(b"%x\r\n%s\r\n" % (n, piece) if chunked else piece)
                    pos += n
                    hit["sent"] += n
                if chunked:
                    self.wfile.write(b"0\r\n\r\n")
            except OSError:
                pass

        def log_message(self, *args):
            pass

    with serve(Handler) as base_url:
        yield base_url, hits


def _fetcher(tmp_path: Path, **kw) -> CachedFetcher:
    return CachedFetcher(tmp_path / "cache", rate_limit=None, retries=kw.pop("retries", 1), backoff=0.01,
                         max_bytes=kw.pop("max_bytes", 1024), **kw)


def _leftovers(tmp_path: Path) -> tuple[list[str], list[str]]:
    listed = []
    for sub in ("objects", "index"):
        folder = tmp_path / "cache" / sub
        listed.append(sorted(p.name for p in folder.iterdir()) if folder.is_dir() else [])
    return listed[0], listed[1]


@pytest.mark.parametrize("how", ["cut", "stall", "last-modified"])
def test_cut_download_resumes_from_where_it_stopped(tmp_path, server, how):
    base, hits = server
    blocks, cut = 128, 3 * MIB  # 8 MiB, cut after 3 MiB
    extra = {"cut": "", "stall": "&stall=1", "last-modified": "&etag=none&lm=1"}[how]
    url = f"{base}/r/{blocks}?cut={cut}{extra}"
    f = _fetcher(tmp_path, deadline=0.5 if how == "stall" else 900)
    path = f.download(url, sha256=sha(body_of(blocks)), size=blocks * len(BLOCK))
    assert path.read_bytes() == body_of(blocks) and path.name == sha(body_of(blocks))
    assert [h["status"] for h in hits] == [200, 206] and hits[0]["range"] is None
    validator = MODIFIED[1] if how == "last-modified" else '"v1"'
    assert hits[1]["range"] == f"bytes={cut}-" and hits[1]["if_range"] == validator
    assert hits[0]["sent"] == cut and sum(h["sent"] for h in hits) < blocks * len(BLOCK) + cut
    assert f.stats["download_resumes"] == 1 and f.stats["download_resumed_bytes"] == cut
    assert f.stats["retries"] == 1 and f.stats["requests"] == 2
    assert f.stats["deadline_exceeded"] == (1 if how == "stall" else 0)
    objects, index = _leftovers(tmp_path)
    assert objects == [sha(body_of(blocks))] and len(index) == 1  # no temp left
    entry = json.loads((tmp_path / "cache" / "index" / index[0]).read_text())
    assert entry["status"] == 200 and entry["size"] == blocks * len(BLOCK)  # the whole file, never a 206
    assert entry["headers"]["Accept-Ranges"] == "bytes" and "Content-Range" not in entry["headers"]
    hit = _fetcher(tmp_path, max_bytes=0).get(url)  # get(url) reads the same entry: the key is unchanged
    assert hit.from_cache and hit.status == 200 and hit.content == body_of(blocks) and len(hits) == 2


def test_server_ignoring_range_restarts_the_file(tmp_path, server):
    base, hits = server
    url = f"{base}/r/64?cut={MIB}&ignore=1"  # advertises ranges, answers 200 to a Range anyway
    f = _fetcher(tmp_path)
    path = f.download(url, sha256=sha(body_of(64)))
    assert path.read_bytes() == body_of(64)
    assert hits[1]["range"] == f"bytes={MIB}-" and hits[1]["status"] == 200
    assert f.stats["download_resumes"] == 0 and _leftovers(tmp_path)[0] == [sha(body_of(64))]


@pytest.mark.parametrize("server_kind", ["honest", "liar"])
def test_changed_file_is_fetched_whole_never_spliced(tmp_path, server, server_kind):
    # the ETag changed between attempts: If-Range no longer matches, the server sends the new version whole
    # (a server ignoring If-Range sends a 206 of v2 naming ETag "v2": refused, and the next attempt starts over)
    base, hits = server
    liar = server_kind == "liar"
    url = f"{base}/r/64?cut={MIB}&change=1" + ("&liar=1" if liar else "")
    f = _fetcher(tmp_path, retries=2)
    path = f.download(url)
    assert hits[1]["if_range"] == '"v1"' and hits[1]["status"] == (206 if liar else 200)
    assert [h["range"] for h in hits] == [None, f"bytes={MIB}-"] + ([None] if liar else [])
    data = path.read_bytes()
    assert data == body_of(64, 2) and path.name == sha(body_of(64, 2))  # the new version, not v1's first MiB + v2
    assert f.stats["download_resumes"] == 0
    entry = json.loads((tmp_path / "cache" / "index" / _leftovers(tmp_path)[1][0]).read_text())
    assert entry["headers"]["ETag"] == '"v2"' and entry["content_sha256"] == sha(body_of(64, 2))


@pytest.mark.parametrize("bad", ["start", "416", "total", "end"])
def test_answer_that_does_not_continue_the_file_starts_over(tmp_path, server, bad):
    base, hits = server
    url = f"{base}/r/64?cut={MIB}&bad={bad}"
    f = _fetcher(tmp_path, retries=2)
    path = f.download(url, sha256=sha(body_of(64)))
    assert path.read_bytes() == body_of(64)
    assert [h["range"] for h in hits] == [None, f"bytes={MIB}-", None]  # refused, then from byte 0
    assert hits[1]["status"] == (416 if bad == "416" else 206) and hits[2]["status"] == 200
    # refused before any body byte: the restart from byte 0 follows at once and is not one of the retries
    assert f.stats["download_resumes"] == 0 and f.stats["retries"] == 1 and f.stats["requests"] == 3
    assert _leftovers(tmp_path)[0] == [sha(body_of(64))]


@pytest.mark.parametrize("extra", ["&ranges=0", "&etag=weak", "&etag=none"])
def test_no_range_without_accept_ranges_or_a_strong_validator(tmp_path, server, extra):
    base, hits = server
    f = _fetcher(tmp_path)
    path = f.download(f"{base}/r/64?cut={MIB}{extra}", sha256=sha(body_of(64)))
    assert path.read_bytes() == body_of(64)
    assert [h["range"] for h in hits] == [None, None] and [h["if_range"] for h in hits] == [None, None]
    assert f.stats["download_resumes"] == 0 and f.stats["retries"] == 1


def test_wrong_sha256_after_a_resume_is_refused_leaving_nothing(tmp_path, server):
    base, hits = server
    url = f"{base}/r/64?cut={MIB}"
    f = _fetcher(tmp_path, retries=2)
    with pytest.raises(RejectedAnswerError, match=f"sha256 {sha(body_of(64))} differs from the expected 0+"):
        f.download(url, sha256="0" * 64)
    # attempt 2 resumed and was whole but wrong; attempt 3 started over (a refused body is never continued)
    assert [h["range"] for h in hits] == [None, f"bytes={MIB}-", None]
    assert f.stats["download_resumes"] == 1 and f.stats["rejected"] == 2
    assert _leftovers(tmp_path) == ([], [])


def test_get_never_sends_a_range(tmp_path, server):
    base, hits = server
    f = _fetcher(tmp_path, max_bytes=0)
    got = f.get(f"{base}/r/64?cut={MIB}")
    assert got.content == body_of(64) and got.status == 200
    assert [h["range"] for h in hits] == [None, None] and [h["if_range"] for h in hits] == [None, None]
    assert f.stats["download_resumes"] == 0


def test_validator_rules():
    ranged = {"Accept-Ranges": "bytes"}
    date = "Wed, 04 Jan 2023 00:00:00 GMT"
    assert validator_of({**ranged, "ETag": '"a"'}) == '"a"'
    assert validator_of({"ETag": '"a"'}) is None and validator_of({"Accept-Ranges": "none", "ETag": '"a"'}) is None
    assert validator_of({**ranged, "ETag": 'W/"a"'}) is None
    assert validator_of({**ranged, "ETag": "a"}) is None and validator_of({**ranged, "ETag": '"a'}) is None
    assert validator_of({**ranged, "ETag": "a", "Last-Modified": MODIFIED[1], "Date": MODIFIED[2]}) == MODIFIED[1]
    assert validator_of({**ranged, "ETag": '"a"', "Content-Encoding": "gzip"}) is None  # ranges count encoded bytes
    assert validator_of({**ranged, "ETag": 'W/"a"', "Last-Modified": MODIFIED[1], "Date": date}) == MODIFIED[1]
    assert validator_of({**ranged, "Last-Modified": date, "Date": date}) is None  # same second: weak (RFC 9110)
    assert validator_of({**ranged, "Last-Modified": MODIFIED[1]}) is None  # undated: cannot tell
    assert validator_of({**ranged, "Last-Modified": "garbage", "Date": date}) is None


def test_refused_resume_is_not_one_of_the_retries(tmp_path, server):
    # retries=1: the cut uses the one retry; the 416 to its Range is followed at once by a request from byte
    # 0 (no backoff, not counted), so a download that succeeded before resuming existed still succeeds
    base, hits = server
    f = _fetcher(tmp_path, retries=1)
    path = f.download(f"{base}/r/64?cut={MIB}&bad=416", sha256=sha(body_of(64)))
    assert path.read_bytes() == body_of(64)
    assert [(h["range"], h["status"]) for h in hits] == [(None, 200), (f"bytes={MIB}-", 416), (None, 200)]
    assert f.stats["retries"] == 1 and f.stats["requests"] == 3 and f.stats["download_resumes"] == 0


def test_restart_after_a_refused_resume_is_free_only_once(tmp_path, server):
    # every 200 is cut and every Range answered 416: each retry gets one free restart from byte 0, which
    # is cut again; the download fails after its retries instead of looping
    base, hits = server
    f = _fetcher(tmp_path, retries=2)
    with pytest.raises(FetchError, match="gave up after 3 attempts"):
        f.download(f"{base}/r/64?cut={MIB}&cutall=1&bad=416")
    assert [(h["range"], h["status"]) for h in hits] == [(None, 200)] + [(f"bytes={MIB}-", 416), (None, 200)] * 2
    assert f.stats["retries"] == 2 and f.stats["requests"] == 5 and _leftovers(tmp_path) == ([], [])


def test_gzip_encoded_206_is_refused_and_the_range_asks_for_identity(tmp_path, server):
    # a 206's range counts encoded bytes while the file holds decoded ones: the resumed request asks for
    # `Accept-Encoding: identity`, and a server gzipping its 206 anyway is refused, never appended
    base, hits = server
    f = _fetcher(tmp_path, retries=1)
    url = f"{base}/r/64?cut={MIB}&gz=1"
    path = f.download(url, sha256=sha(body_of(64)))
    assert path.read_bytes() == body_of(64)
    assert [(h["range"], h["status"]) for h in hits] == [(None, 200), (f"bytes={MIB}-", 206), (None, 200)]
    assert hits[1]["encoding"] == "identity" and hits[0]["encoding"] != "identity"
    assert hits[2]["encoding"] == hits[0]["encoding"]  # only the resumed request asks for identity
    assert f.stats["download_resumes"] == 0 and f.stats["retries"] == 1
    assert len(_leftovers(tmp_path)[1]) == 1  # one index entry: the request key did not change
    assert _fetcher(tmp_path, max_bytes=0).get(url).from_cache


@pytest.mark.parametrize("extra", ["", "&change=1&liar=1"])
def test_unquoted_etag_is_not_a_validator(tmp_path, server, extra):
    # `ETag: v1` (unquoted, non-conforming) is not used: a 206 would otherwise be checked against its
    # Last-Modified (absent here), and a server ignoring If-Range would splice v1 and v2
    base, hits = server
    f = _fetcher(tmp_path, retries=1)
    path = f.download(f"{base}/r/64?cut={MIB}&etag=bare{extra}")
    assert path.read_bytes() == body_of(64, 2 if extra else 1)
    assert [h["range"] for h in hits] == [None, None] and f.stats["download_resumes"] == 0


def test_chunked_206_ending_early_is_not_accepted_short(tmp_path, server):
    # a chunked 206 that ends cleanly before the first answer's length is not the whole file (urllib3 has
    # no Content-Length to check it against): the next attempt continues from where it ended
    base, hits = server
    f = _fetcher(tmp_path, retries=2)
    path = f.download(f"{base}/r/64?cut={MIB}&short={2 * MIB}")
    assert path.read_bytes() == body_of(64) and path.stat().st_size == 64 * len(BLOCK)
    assert [(h["range"], h["status"]) for h in hits] == [(None, 200), (f"bytes={MIB}-", 206),
                                                          (f"bytes={2 * MIB}-", 206)]
    assert f.stats["download_resumes"] == 2 and f.stats["retries"] == 2


@pytest.mark.parametrize("how", ["declared", "streamed"])
def test_download_cap_counts_the_bytes_already_on_disk(tmp_path, server, how):
    # 4 MiB in all, cut after 1 MiB, capped at 3.5 MiB: the 206 carries 3 MiB (under the cap on its own)
    base, hits = server
    cap = 7 * MIB // 2
    f = _fetcher(tmp_path, retries=1, max_download_bytes=cap)
    chunked = 1 if how == "declared" else 2  # the first answer never declares its size (else refused at once)
    what = f"declares {4 * MIB} bytes" if how == "declared" else "passed"
    with pytest.raises(DownloadTooLargeError, match=what):
        f.download(f"{base}/r/64?cut={MIB}&chunked={chunked}")
    assert [(h["range"], h["status"]) for h in hits] == [(None, 200), (f"bytes={MIB}-", 206)]
    assert _leftovers(tmp_path) == ([], [])


def test_503_to_the_resumed_request_is_a_retry_from_byte_0(tmp_path, server):
    # a 503 is retried like any other (counted, after the backoff); its body is never appended to the
    # partial, and the next attempt starts from byte 0
    base, hits = server
    f = _fetcher(tmp_path, retries=2)
    path = f.download(f"{base}/r/64?cut={MIB}&busy=1", sha256=sha(body_of(64)))
    assert path.read_bytes() == body_of(64)
    assert [(h["range"], h["status"]) for h in hits] == [(None, 200), (f"bytes={MIB}-", 503), (None, 200)]
    assert f.stats["retries"] == 2 and f.stats["requests"] == 3 and f.stats["download_resumes"] == 0
