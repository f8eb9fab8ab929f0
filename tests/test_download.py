"""`CachedFetcher.download(url, sha256=, size=)` verifies; `curate build --download-only` fills the cache a
later offline build reads; `--register-checksums` writes the builder's `checksums.tsv` (tfds layout).
Everything is served by a 127.0.0.1 server started here."""

from __future__ import annotations

import hashlib
import http.server
import os
import threading
from pathlib import Path

import datasets
import pytest

from curate.builder import BuildContext, Builder, BuilderConfig
from curate.cli import main
from curate.errors import CurateError, InputFormatError
from curate.fetch import CachedFetcher, OfflineCacheMiss
from curate.fetch.download import read_checksums

FILES = {"/data.tsv": b"a\t1\nb\t2\nc\t3\n", "/extra.txt": b"hello\n"}


class DownloadingBuilder(Builder):
    """Reads one TSV through `ctx.fetcher.download`; the server URL and its folder come from the environment."""

    name = "test-downloading"
    version = "0.1.0"
    description = "rows of a downloaded TSV"
    configs = [BuilderConfig("default")]
    splits = ("train",)

    def sample_dir(self) -> Path:  # checksums.tsv lives beside it: a temporary folder, not the repo
        return Path(os.environ["DOWNLOAD_TEST_DIR"]) / "sample"

    def downloads(self, ctx: BuildContext) -> list[str]:
        return [f"{os.environ['DOWNLOAD_TEST_BASE']}/data.tsv", f"{os.environ['DOWNLOAD_TEST_BASE']}/extra.txt"]

    def features(self, config: BuilderConfig) -> datasets.Features:
        return datasets.Features({"key": datasets.Value("string"), "n": datasets.Value("int64")})

    def work_units(self, ctx: BuildContext) -> list[str]:
        return ["all"]

    def generate(self, unit: str, ctx: BuildContext):
        path = ctx.fetcher.download(f"{os.environ['DOWNLOAD_TEST_BASE']}/data.tsv")
        for line in path.read_text().splitlines():
            key, n = line.split("\t")
            yield ctx.config.name, "train", {"key": key, "n": int(n)}


@pytest.fixture
def server():
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            hits.append(self.path)
            body = FILES.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", hits
    httpd.shutdown()
    httpd.server_close()


def _fetcher(tmp_path, **kw) -> CachedFetcher:
    return CachedFetcher(tmp_path / "cache", rate_limit=None, retries=1, backoff=0.01, **kw)


def test_download_verifies_and_never_caches_a_rejected_body(tmp_path, server):
    base, hits = server
    body = FILES["/data.tsv"]
    good = hashlib.sha256(body).hexdigest()
    with pytest.raises(CurateError, match=f"{base}/data.tsv.*sha256 {good} differs from the expected 0+"):
        _fetcher(tmp_path).download(f"{base}/data.tsv", sha256="0" * 64)
    with pytest.raises(CurateError, match="size 12 bytes differs from the expected 13"):
        _fetcher(tmp_path).download(f"{base}/data.tsv", size=13)
    with pytest.raises(OfflineCacheMiss):  # neither rejected answer was cached
        _fetcher(tmp_path, offline=True).download(f"{base}/data.tsv")
    path = _fetcher(tmp_path).download(f"{base}/data.tsv", sha256=good, size=len(body))
    assert path.read_bytes() == body and path.name == good
    before = len(hits)
    again = _fetcher(tmp_path, offline=True).download(f"{base}/data.tsv", sha256=good.upper())
    assert again == path and len(hits) == before  # served from the cache, offline
    # a cached body that no longer matches the expectation is dropped and fetched again
    with pytest.raises(CurateError, match="differs from the expected"):
        _fetcher(tmp_path).download(f"{base}/data.tsv", sha256="f" * 64)
    assert len(hits) > before


def test_checksums_file_errors_name_file_and_line(tmp_path):
    bad = tmp_path / "checksums.tsv"
    bad.write_text("# header\nhttp://x/a\t12\t" + "a" * 64 + "\ta\nhttp://x/b\ttwelve\tabc\n")
    with pytest.raises(InputFormatError, match=r"checksums.tsv:3: expected url<TAB>size<TAB>sha256"):
        read_checksums(bad)


@pytest.fixture
def downloading_env(monkeypatch, tmp_path, server):
    from curate.registry import all_builders

    monkeypatch.setenv("CURATE_EXTRA_BUILDERS", "test_download")
    monkeypatch.setenv("DOWNLOAD_TEST_DIR", str(tmp_path / "builder"))
    monkeypatch.setenv("DOWNLOAD_TEST_BASE", server[0])
    all_builders.cache_clear()
    yield tmp_path, server
    all_builders.cache_clear()


def test_register_then_download_only_then_offline_build(downloading_env, capsys):
    tmp_path, (base, hits) = downloading_env
    cache = ["--cache-dir", str(tmp_path / "cache")]
    out = tmp_path / "out"
    assert main(["build", "test-downloading", "--out", str(out), "--download-only", "--register-checksums",
                 "--cache-dir", str(tmp_path / "reg")]) == 0
    sums = read_checksums(tmp_path / "builder" / "checksums.tsv")
    assert {u: (c.size, c.sha256, c.filename) for u, c in sums.items()} == {
        f"{base}{p}": (len(b), hashlib.sha256(b).hexdigest(), p[1:]) for p, b in FILES.items()}
    assert not (out / "manifest.json").exists() and not list(out.rglob("*.arrow"))
    capsys.readouterr()
    assert main(["build", "test-downloading", "--out", str(out), "--download-only", *cache]) == 0
    captured = capsys.readouterr()
    said = captured.out
    assert "curate: downloading 2/2 done in" in captured.err and "bytes=18" in captured.err
    assert f"verified {base}/data.tsv" in said and "downloaded and verified 2 file(s), 18 bytes" in said
    assert "default=1" in said and "nothing built" in said
    served = len(hits)
    assert main(["build", "test-downloading", "--out", str(out), "--offline", *cache]) == 0
    assert len(hits) == served  # the build read what --download-only cached
    assert datasets.load_from_disk(str(out / "default"))["train"]["n"] == [1, 2, 3]


def test_download_only_refuses_a_file_that_changed_upstream(downloading_env, capsys):
    tmp_path, (base, _) = downloading_env
    assert main(["build", "test-downloading", "--out", str(tmp_path / "o"), "--download-only",
                 "--register-checksums", "--cache-dir", str(tmp_path / "reg")]) == 0
    FILES["/extra.txt"] = b"changed upstream\n"
    try:
        assert main(["build", "test-downloading", "--out", str(tmp_path / "o"), "--download-only",
                     "--cache-dir", str(tmp_path / "fresh"), "--retries", "0"]) == 2  # a refusal is retried
    finally:
        FILES["/extra.txt"] = b"hello\n"
    err = capsys.readouterr().err
    assert f"{base}/extra.txt" in err and "differs from the expected" in err and "Traceback" not in err


def test_sample_builds_download_nothing_and_register_needs_a_real_build(tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["build", "clef-queries", "--sample", "--download-only", "--out", str(out), "--no-progress"]) == 0
    said = capsys.readouterr().out
    assert "no declared file to download" in said and "topics=5" in said and "nothing built" in said
    assert not (out / "manifest.json").exists()
    assert main(["build", "clef-queries", "--sample", "--register-checksums", "--out", str(out)]) == 2
    assert "run it without --sample" in capsys.readouterr().err
