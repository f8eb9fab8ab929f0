"""`CachedFetcher.download()` streams the body to a temp file in `objects/` instead of holding it in memory:
bigger than `max_bytes` is fine, memory stays flat, refused or cut-short bodies leave nothing behind, and the
index entry is the one `get(url)` reads. Everything is served by a 127.0.0.1 server started here."""

from __future__ import annotations

import errno
import hashlib
import http.server
import json
import os
import re
import tempfile
import time
import tracemalloc
from pathlib import Path

import pytest
import requests
from local_server import serve
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from curate.errors import CurateError
from curate.fetch import (
    BodyTooLargeError,
    CachedFetcher,
    ChallengePageError,
    FetchError,
    OfflineCacheMiss,
    RejectedAnswerError,
)
from curate.fetch.deadline import STALL_BYTES
from curate.fetch.errors import redact_url
from curate.fetch.settings import fetch_settings

BLOCK = bytes(range(256)) * 256  # 64 KiB; a body is BLOCK repeated, written block by block (no big buffer)
PIECE = 16  # blocks per 1 MiB piece of a paced body (`STALL_BYTES`: each one restarts a download's deadline)


def body_of(blocks: int) -> bytes:
    return BLOCK * blocks


def sha_of(blocks: int) -> str:
    digest = hashlib.sha256()
    for _ in range(blocks):
        digest.update(BLOCK)
    return digest.hexdigest()


@pytest.fixture
def server():
    """GET /file/<blocks>[?cut=K][&chunked=1][&drip=1]: `blocks` x 64 KiB; the first K requests are cut off
    halfway (Content-Length says the whole); `chunked` sends no Content-Length; `drip` stalls halfway.
    `&pace=S` sends the body in 1 MiB pieces S seconds apart (slow but steady), `&stall=K` then stops for
    3 s after K pieces and drops the connection; `&trickle=1` sends one byte every 0.05 s, for 5 s at most.
    GET /status/<code>: that status with a 128 KiB body; /challenge: a Cloudflare interstitial."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802 (http.server's name)
            hits.append(self.path)
            path, _, query = self.path.partition("?")
            opts = dict(p.split("=") for p in query.split("&") if p)
            if path.startswith("/status/"):  # an error answer with a 128 KiB body (e.g. 403 Forbidden)
                self.send_response(int(path.rsplit("/", 1)[1]))
                self.send_header("Content-Length", str(2 * len(BLOCK)))
                self.end_headers()
                self.wfile.write(body_of(2))
                return
            if path == "/challenge":
                page = b"<html><head><title>Just a moment...</title></head><body>checking</body></html>"
                self.send_response(200)
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)
                return
            blocks = int(path.rsplit("/", 1)[1])
            cut = len([h for h in hits if h == self.path]) <= int(opts.get("cut", 0))
            self.send_response(200)
            if opts.get("chunked"):
                self.send_header("Transfer-Encoding", "chunked")
            else:
                self.send_header("Content-Length", str(blocks * len(BLOCK)))
            self.send_header("Connection", "close")
            self.end_headers()
            try:
                if opts.get("trickle"):
                    for _ in range(100):
                        self.wfile.write(b"x")
                        self.wfile.flush()
                        time.sleep(0.05)
                    self.connection.shutdown(2)
                    return
                for i in range(blocks):
                    if opts.get("pace") and i and i % PIECE == 0:  # a 1 MiB piece sent: wait before the next
                        self.wfile.flush()
                        if i // PIECE == int(opts.get("stall", -1)):
                            time.sleep(3)
                            self.connection.shutdown(2)
                            return
                        time.sleep(float(opts["pace"]))
                    if (cut or opts.get("drip")) and i == blocks // 2:
                        if opts.get("drip"):
                            time.sleep(3)
                        self.wfile.flush()
                        self.connection.shutdown(2)  # the connection drops mid-body
                        return
                    if opts.get("chunked"):
                        self.wfile.write(f"{len(BLOCK):x}\r\n".encode() + BLOCK + b"\r\n")
                    else:
                        self.wfile.write(BLOCK)
                if opts.get("chunked"):
                    self.wfile.write(b"0\r\n\r\n")
            except OSError:
                pass

        def log_message(self, *args):
            pass

    with serve(Handler) as base_url:
        yield base_url, hits


def _fetcher(tmp_path: Path, **kw) -> CachedFetcher:
    kw.setdefault("max_bytes", 1024)  # tiny: a download must not be bound by it
    return CachedFetcher(tmp_path / "cache", rate_limit=None, retries=kw.pop("retries", 1), backoff=0.01, **kw)


def _leftovers(tmp_path: Path) -> tuple[list[str], list[str]]:
    """(names in objects/, names in index/) of the test's cache."""
    listed = []
    for sub in ("objects", "index"):
        folder = tmp_path / "cache" / sub
        listed.append(sorted(p.name for p in folder.iterdir()) if folder.is_dir() else [])
    return listed[0], listed[1]


def test_download_bigger_than_max_bytes_lands_in_objects_and_get_hits_it(tmp_path, server):
    base, hits = server
    f = _fetcher(tmp_path)
    url = f"{base}/file/8"  # 512 KiB, max_bytes is 1 KiB
    path = f.download(url, sha256=sha_of(8), size=8 * len(BLOCK))
    assert path == tmp_path / "cache" / "objects" / sha_of(8) and path.read_bytes() == body_of(8)
    assert f.stats["downloads"] == 1 and f.stats["download_bytes"] == 8 * len(BLOCK)
    objects, index = _leftovers(tmp_path)
    assert objects == [sha_of(8)] and len(index) == 1  # no temp file left
    entry = json.loads((tmp_path / "cache" / "index" / index[0]).read_text())
    assert entry["content_sha256"] == sha_of(8) and entry["size"] == 8 * len(BLOCK) and entry["status"] == 200
    assert entry["url"] == url and entry["method"] == "GET" and "Server" in entry["headers"]
    # the same entry answers get(url), but a body over max_bytes is refused unread, pointing at download()
    with pytest.raises(BodyTooLargeError, match=f"{url}: HTTP 200: cached body is 524288 bytes, more than "
                                                "max_bytes=1024; read it with download"):
        f.get(url)
    assert len(hits) == 1 and len(_leftovers(tmp_path)[1]) == 1  # not refetched, the entry kept
    hit = _fetcher(tmp_path, max_bytes=0).get(url)  # no cap: served from the cache
    assert hit.from_cache and hit.content == body_of(8) and len(hits) == 1
    small = f"{base}/file/1"  # a download within max_bytes is still a get() hit
    roomy = _fetcher(tmp_path, max_bytes=len(BLOCK))
    assert roomy.download(small) == tmp_path / "cache" / "objects" / sha_of(1)
    hit = roomy.get(small)
    assert hit.from_cache and hit.content == body_of(1) and len(hits) == 2
    with pytest.raises(BodyTooLargeError, match="max_bytes=1024"):  # get() itself is still capped
        _fetcher(tmp_path / "other").get(url)


def test_body_never_sits_in_memory_whole(tmp_path, server):
    base, _ = server
    f = _fetcher(tmp_path)
    blocks = 320  # 20 MiB
    tracemalloc.start()
    try:
        path = f.download(f"{base}/file/{blocks}", sha256=sha_of(blocks))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert path.stat().st_size == blocks * len(BLOCK)
    assert peak < 4 * 2**20, f"peak {peak} bytes while downloading {blocks * len(BLOCK)}"  # buffered: >= 20 MiB


def test_wrong_sha256_is_retried_then_refused_leaving_nothing(tmp_path, server):
    base, hits = server
    f = _fetcher(tmp_path)
    url = f"{base}/file/4"
    with pytest.raises(RejectedAnswerError, match=f"{url}.*sha256 {sha_of(4)} differs from the expected 0+"):
        f.download(url, sha256="0" * 64)
    assert len(hits) == 2 and f.stats["rejected"] == 2
    assert _leftovers(tmp_path) == ([], [])  # no object, no temp file, no index entry
    with pytest.raises(RejectedAnswerError, match="size 262144 bytes differs from the expected 5"):
        f.download(url, size=5)
    assert _leftovers(tmp_path) == ([], [])


@pytest.mark.parametrize("how", ["content-length", "chunked"])
def test_connection_cut_mid_body_leaves_nothing_and_the_retry_succeeds(tmp_path, server, how):
    base, hits = server
    extra = "&chunked=1" if how == "chunked" else ""
    with pytest.raises(FetchError, match="gave up after 1 attempts"):
        _fetcher(tmp_path, retries=0).download(f"{base}/file/6?cut=1{extra}")
    assert _leftovers(tmp_path) == ([], [])
    f = _fetcher(tmp_path)
    url = f"{base}/file/6?cut=1{extra}&v=2"  # a fresh URL: its first answer is cut, the retry is whole
    path = f.download(url, sha256=sha_of(6))
    assert path.read_bytes() == body_of(6) and f.stats["retries"] == 1
    objects, index = _leftovers(tmp_path)
    assert objects == [sha_of(6)] and len(index) == 1


def test_deadline_cuts_a_stalled_download_and_leaves_nothing(tmp_path, server):
    base, _ = server
    f = _fetcher(tmp_path, retries=0, deadline=0.5)
    with pytest.raises(FetchError, match="deadline"):
        f.download(f"{base}/file/4?drip=1")
    assert f.stats["deadline_exceeded"] == 1 and _leftovers(tmp_path) == ([], [])


def test_slow_but_steady_download_outlasts_the_deadline_which_bounds_stalls(tmp_path, server):
    # 8 MiB in 1 MiB pieces 0.25 s apart: at least 1.75 s in all, each piece well inside the 1 s deadline
    assert STALL_BYTES == PIECE * len(BLOCK)
    base, hits = server
    url = f"{base}/file/{8 * PIECE}?pace=0.25"
    f = _fetcher(tmp_path, retries=0, deadline=1.0)
    start = time.monotonic()
    path = f.download(url, sha256=sha_of(8 * PIECE))
    assert time.monotonic() - start > 1.0  # the transfer really took longer than the deadline
    assert path.stat().st_size == 8 * PIECE * len(BLOCK) and f.stats["deadline_exceeded"] == 0 and len(hits) == 1
    # get() of the same slow body keeps the whole-attempt deadline
    g = _fetcher(tmp_path / "get", retries=0, deadline=1.0, max_bytes=0)
    with pytest.raises(FetchError, match=re.escape(url) + ": no response: .*no complete answer within deadline=1 s"):
        g.get(url)
    assert g.stats["deadline_exceeded"] == 1 and not (tmp_path / "get" / "cache" / "index").exists()


def test_download_stalling_mid_body_after_progress_is_cut_and_leaves_nothing(tmp_path, server):
    base, _ = server
    f = _fetcher(tmp_path, retries=0, deadline=1.0)
    with pytest.raises(FetchError, match=r"deadline: stalled: less than 1048576 bytes arrived within deadline=1 s"):
        f.download(f"{base}/file/{4 * PIECE}?pace=0.1&stall=2")  # 2 MiB, then nothing for 3 s
    assert f.stats["deadline_exceeded"] == 1 and _leftovers(tmp_path) == ([], [])


def test_download_dripping_a_byte_at_a_time_is_cut_by_the_deadline(tmp_path, server):
    base, _ = server
    f = _fetcher(tmp_path, retries=0, deadline=0.5)
    start = time.monotonic()
    with pytest.raises(FetchError, match="deadline: stalled"):
        f.download(f"{base}/file/4?trickle=1")  # each byte well inside the read timeout
    assert time.monotonic() - start < 4.5  # cut at the deadline, not after the 5 s the server would drip
    assert f.stats["deadline_exceeded"] == 1 and _leftovers(tmp_path) == ([], [])


def test_download_refuses_an_answer_that_is_not_ready_unchecked(tmp_path, server):
    # 202 "accepted, not ready": not cacheable, so the size/sha256 rule never judged it; it must not come back
    base, hits = server
    f = _fetcher(tmp_path)
    url = f"{base}/status/202"
    with pytest.raises(FetchError, match=f"{url}: HTTP 202: the server has not got the file ready"):
        f.download(url, sha256="0" * 64)
    with pytest.raises(FetchError, match="HTTP 202"):  # nor unchecked, as --register-checksums downloads
        f.download(url)
    assert len(hits) == 2 and _leftovers(tmp_path) == ([], [])


def test_download_cap_is_separate_and_refuses_without_retry(tmp_path, server):
    base, hits = server
    for extra, how in (("", "declares"), ("?chunked=1", "passed")):
        f = _fetcher(tmp_path, max_download_bytes=100_000)
        with pytest.raises(BodyTooLargeError, match=f"download {how} .*max_download_bytes=100000; "
                                                    "raise --max-download-bytes"):
            f.download(f"{base}/file/4{extra}")
        assert f.stats["requests"] == 1 and _leftovers(tmp_path) == ([], [])
    assert fetch_settings(max_download_bytes=0) == {"max_download_bytes": None}
    assert fetch_settings(max_download_bytes=5) == {"max_download_bytes": 5}
    with pytest.raises(CurateError, match="--max-download-bytes -1"):
        fetch_settings(max_download_bytes=-1)


def test_challenge_page_is_refused_from_the_streamed_prefix(tmp_path, server):
    base, _ = server
    with pytest.raises(ChallengePageError, match="just a moment"):
        _fetcher(tmp_path).download(f"{base}/challenge")
    assert _leftovers(tmp_path) == ([], [])


def test_corrupted_object_is_refetched_and_offline_serves_the_cache(tmp_path, server):
    base, hits = server
    url = f"{base}/file/3"
    path = _fetcher(tmp_path).download(url, sha256=sha_of(3))
    offline = _fetcher(tmp_path, offline=True)
    assert offline.download(url, sha256=sha_of(3).upper()) == path and len(hits) == 1
    assert offline.stats["cache_hits"] == 1

    def corrupt(data: bytes) -> None:
        objects, index = _leftovers(tmp_path)
        assert objects == [sha_of(3)] and len(index) == 1  # a valid entry points at the object: the check is tested
        path.write_bytes(data)

    corrupt(b"x" + body_of(3)[1:])  # same size, other bytes
    f = _fetcher(tmp_path)
    assert f.download(url) == path and path.read_bytes() == body_of(3) and len(hits) == 2
    assert f.stats["cache_corrupted"] == 1 and f.stats["cache_hits"] == 0
    corrupt(b"tampered")
    assert f.download(url, sha256=sha_of(3)) == path and path.read_bytes() == body_of(3) and len(hits) == 3
    assert f.stats["cache_corrupted"] == 2
    corrupt(b"tampered again")
    offline = _fetcher(tmp_path, offline=True)
    with pytest.raises(OfflineCacheMiss, match="corrupted"):
        offline.download(url)
    assert offline.stats["cache_corrupted"] == 1 and _leftovers(tmp_path) == ([], []) and len(hits) == 3


def test_stale_temps_are_swept_fresh_ones_kept(tmp_path, server):
    base, _ = server
    objects = tmp_path / "cache" / "objects"
    objects.mkdir(parents=True)
    old, fresh = objects / ".tmp-killed.part", objects / ".tmp-running.part"
    old.write_bytes(b"half")
    fresh.write_bytes(b"half")
    two_days_ago = time.time() - 2 * 86400
    os.utime(old, (two_days_ago, two_days_ago))
    _fetcher(tmp_path).download(f"{base}/file/1")
    assert not old.exists() and fresh.exists()


class Preloaded(BaseAdapter):
    """A transport that has already read the body (like the fixture recorder)."""

    def send(self, request, **kwargs):
        r = requests.Response()
        r.status_code, r.url, r.reason = 200, request.url, "OK"
        r.headers = CaseInsensitiveDict({"Content-Length": str(len(body_of(2)))})
        r._content, r._content_consumed = body_of(2), True
        return r

    def close(self):
        pass


def test_preloaded_transport_and_cassette_go_through_the_file_path(tmp_path):
    f = CachedFetcher(tmp_path / "cache", rate_limit=None, max_bytes=1024, transport=Preloaded())
    path = f.download("http://example.invalid/pre", sha256=sha_of(2))
    assert path.read_bytes() == body_of(2) and _leftovers(tmp_path)[0] == [sha_of(2)]
    tape = tmp_path / "tape"
    tape.mkdir()
    (tape / "b.bin").write_bytes(body_of(3))
    (tape / "index.jsonl").write_text(json.dumps({"url": "http://example.invalid/f", "status": 200, "body": "b.bin"})
                                      + "\n")
    replay = CachedFetcher(tmp_path / "c2", cassette=tape, max_bytes=1024)
    got = replay.download("http://example.invalid/f", sha256=sha_of(3))
    assert got.read_bytes() == body_of(3) and got.name == sha_of(3)


class _FullDisk:
    """A temp file whose disk is full: every write fails with ENOSPC."""

    def __init__(self, real):
        self.real = real

    def write(self, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    def __getattr__(self, name):
        return getattr(self.real, name)


def test_full_disk_is_one_request_not_retried_and_leaves_nothing(tmp_path, server, monkeypatch):
    base, hits = server
    f = _fetcher(tmp_path, retries=2)
    sink_type = type(f.cache.sink())
    real_begin = sink_type.begin

    def begin(self, *args, **kwargs):
        real_begin(self, *args, **kwargs)
        self._file = _FullDisk(self._file)

    monkeypatch.setattr(sink_type, "begin", begin)
    url = f"{base}/file/4?token=s3cret"
    objects = tmp_path / "cache" / "objects"
    with pytest.raises(CurateError) as info:
        f.download(url)
    message = str(info.value)
    assert message.startswith(f"{redact_url(url)}: ") and "s3cret" not in message  # the URL, redacted
    assert f"cannot write the download to {objects}/.tmp-" in message and "No space left on device" in message
    assert not isinstance(info.value, OSError) and "attempts" not in message
    assert len(hits) == 1 and f.stats["requests"] == 1 and f.stats["retries"] == 0
    assert _leftovers(tmp_path) == ([], [])


def test_sink_that_cannot_start_closes_its_fd_and_removes_its_temp(tmp_path, monkeypatch):
    sink = _fetcher(tmp_path).cache.sink()
    made = []
    real_mkstemp = tempfile.mkstemp

    def mkstemp(*args, **kwargs):
        made.append(real_mkstemp(*args, **kwargs))
        return made[-1]

    def fchmod(fd, mode):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    monkeypatch.setattr(os, "fchmod", fchmod)
    with pytest.raises(CurateError, match="http://example.invalid/f: cannot write the download to .*Read-only"):
        sink.begin("http://example.invalid/f")
    monkeypatch.undo()
    fd, temp = made[0]
    with pytest.raises(OSError, match="Bad file descriptor"):  # closed, not leaked
        os.fstat(fd)
    assert not Path(temp).exists() and not sink.pending


def test_error_status_through_request_with_a_sink_leaves_no_temp(tmp_path, server):
    base, hits = server
    f = _fetcher(tmp_path)
    sink = f.cache.sink()
    with pytest.raises(FetchError, match="HTTP 403"):
        f.request("GET", f"{base}/status/403", sink=sink)
    assert len(hits) == 1 and not sink.pending and _leftovers(tmp_path) == ([], [])
    with pytest.raises(FetchError, match="HTTP 403"):
        f.download(f"{base}/status/403")
    assert _leftovers(tmp_path) == ([], [])


def test_temp_swept_before_commit_is_a_fetch_error_naming_the_url(tmp_path, server):
    base, _ = server
    f = _fetcher(tmp_path)
    objects = tmp_path / "cache" / "objects"
    url = f"{base}/file/2"

    def swept_meanwhile(response):  # what another process's stale-temp sweep does to a paused download
        for temp in objects.glob(".tmp-*.part"):
            temp.unlink()

    with pytest.raises(FetchError, match=f"{url}: no response: the finished download {objects}/.tmp-.* was removed"):
        f.request("GET", url, sink=f.cache.sink(), accept=swept_meanwhile)
    assert _leftovers(tmp_path) == ([], [])


def test_cached_download_carries_the_same_content_prefix_as_a_live_one(tmp_path, server):
    base, hits = server
    f = _fetcher(tmp_path)
    url = f"{base}/file/2"

    def starts_with_block(response):  # an accept rule that reads `content` must judge both alike
        return None if response.content.startswith(BLOCK[:1024]) else "no leading block"

    live = f.request("GET", url, sink=f.cache.sink(), accept=starts_with_block)
    cached = f.request("GET", url, sink=f.cache.sink(), accept=starts_with_block)
    assert not live.from_cache and cached.from_cache and len(hits) == 1
    assert cached.content == live.content == body_of(2)[:16384] and cached.file == live.file
