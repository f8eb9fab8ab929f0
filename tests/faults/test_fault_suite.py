"""The fault suite (issue 11): every remote builder's sample-sized build runs against `FaultServer`, a local
server playing the real endpoints from the recorded cassettes, through `--endpoint`. Faults are injected
(status storms, Retry-After, resets, drips, challenge pages, wrong content types, maintenance pages,
truncated and oversized bodies) and curate is killed mid-build (process group, and PID only); after the
rerun the shards must be byte-identical to the undisturbed build, the manifest true, nothing bad cached,
and every skip a permanent one. Bounded: fetcher retries, backoff, deadline and body cap are small."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fault_server import REPO, FaultServer

from curate.builders.clef_queries import hc4
from curate.builders.entity_cs.wikidata import WIKIDATA_API, WIKIPEDIA_API
from curate.builders.eurlex_sum.cellar import CELLAR, EURLEX, SPARQL_ENDPOINT
from curate.errors import CurateError

ENDPOINTS = {"sparql": ("eurlex_sum", SPARQL_ENDPOINT), "cellar": ("eurlex_sum", CELLAR),
             "eurlex": ("eurlex_sum", EURLEX), "wikipedia-api": ("entity_cs", WIKIPEDIA_API),
             "wikidata-api": ("entity_cs", WIKIDATA_API)}
KEYS = {"eurlex-sum": ("sparql", "cellar", "eurlex"), "entity-cs": ("wikipedia-api", "wikidata-api"),
        "clef-queries": ("hc4",)}
ARGS = {"eurlex-sum": {}, "entity-cs": {}, "clef-queries": {"collections": "hc4"}}
CONFIGS = {"eurlex-sum": ["en"], "entity-cs": ["de"], "clef-queries": ["topics"]}
SAMPLE = {"eurlex-sum": True, "entity-cs": True, "clef-queries": False}  # clef's sample reads HC4 from disk
# generous per-request limits (a loaded CI machine must not trip them on a healthy answer); the drip fault
# gets its own short deadline
FAST = {"retries": 2, "backoff": 0.01, "timeout": 10.0, "deadline": 10.0, "max_bytes": 1_000_000, "rate_limit": None}


@pytest.fixture(scope="module")
def server():
    s = FaultServer(ENDPOINTS)
    s.bases["hc4"] = f"{s.url}/hc4"
    yield s
    s.close()


@pytest.fixture(autouse=True)
def no_faults(server):
    server.clear()
    yield
    server.clear()


@pytest.fixture(scope="module")
def hc4_files(server):
    """Synthetic HC4 files (HC4 itself is never shipped), served at /hc4/ and pinned for the test's builds."""
    files = {}
    for split in hc4.HC4_SPLITS:
        files[hc4.topics_file(split)] = "".join(json.dumps({
            "topic_id": f"{split}{i}", "languages_with_qrels": ["fas"],
            "topics": [{"lang": "eng", "source": "original", "topic_title": f"Topic {i} of {split}",
                        "topic_description": f"What is topic {i}?"}]}) + "\n" for i in range(3)).encode()
        for lang3 in hc4.HC4_DOC_LANGUAGES:
            files[hc4.qrels_file(lang3, split)] = f"{split}0 0 doc-{lang3}-1 1\n{split}1 0 doc-{lang3}-2 3\n".encode()
    for rel, content in files.items():
        server.files[f"/hc4/{rel}"] = ("text/plain", content)
    pins = {rel: hashlib.sha256(content).hexdigest() for rel, content in files.items()}
    saved = dict(hc4.HC4_SHA256)
    hc4.HC4_SHA256.update(pins)
    yield files
    hc4.HC4_SHA256.clear()
    hc4.HC4_SHA256.update(saved)


def build(server, name: str, out: Path, cache: Path, **fetch) -> dict:
    """One in-process build through the endpoints of `server` (the same code path as `curate build`)."""
    from curate.build import build as run_build
    from curate.registry import get_builder
    from curate.run import BuildOptions

    opts = BuildOptions(out_dir=out, sample=SAMPLE[name], cache_dir=cache, options=dict(ARGS[name]), progress=False,
                        endpoints={k: server.endpoint(k) for k in KEYS[name]}, fetch={**FAST, **fetch})
    return run_build(get_builder(name), CONFIGS[name], opts)


def shards(out: Path) -> dict[str, str]:
    return {str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.glob("*/*/*.arrow"))}


def check_manifest(out: Path) -> dict:
    """The manifest is true: every shard it lists is on disk with its sha256 and row count."""
    import pyarrow as pa

    manifest = json.loads((out / "manifest.json").read_text())
    for entry in manifest["configs"].values():
        for split in entry["splits"].values():
            rows = 0
            for sh in split["shards"]:
                path = out / sh["path"]
                assert hashlib.sha256(path.read_bytes()).hexdigest() == sh["sha256"]
                with pa.memory_map(str(path)) as source:
                    rows += pa.ipc.open_stream(source).read_all().num_rows
            assert rows == split["rows"]
    return manifest


def assert_cache_clean(cache: Path, server: FaultServer, *, may_be_empty: bool = False) -> None:
    """Nothing bad cached: every cached body is one the real endpoint (the recording) would give.

    The layout is `ResponseCache`'s under the builder's `cache/http`: `index/<key>.json` names a body by
    `content_sha256`, the body lives in `objects/<sha256>`. A build that fetched and succeeded must leave
    index entries; only a caller whose build may legitimately have cached nothing (a failed or killed
    build) passes `may_be_empty=True`, so a moved or renamed index cannot make this check vacuous.
    """
    good = {hashlib.sha256(body).hexdigest() for _, _, body in server.routes.values()}
    good |= {hashlib.sha256(content).hexdigest() for _, content in server.files.values()}
    root = cache / "http"
    # dot files are atomic_write's temp files: a kill mid-write may leave one, and the cache never reads them
    index = sorted(p for p in (root / "index").glob("*") if not p.name.startswith(".")) \
        if (root / "index").is_dir() else []
    objects = sorted(p for p in (root / "objects").glob("*") if not p.name.startswith(".")) \
        if (root / "objects").is_dir() else []
    if not may_be_empty:
        assert index, f"{root / 'index'}: no cache index entries after a build that fetched (cache layout moved?)"
    for entry in index:
        assert entry.suffix == ".json", f"{entry}: not a cache index entry"
        digest = json.loads(entry.read_text())["content_sha256"]
        assert digest in good, f"{entry}: cached a body the endpoint never sends"
        assert (root / "objects" / digest).is_file(), f"{entry}: its body objects/{digest} is missing"
    # the bodies themselves, hashed (an entry only claims a digest), orphans included: a body written before
    # its entry (killed between the two) is still a body the cache holds
    for obj in objects:
        actual = hashlib.sha256(obj.read_bytes()).hexdigest()
        assert actual == obj.name, f"{obj}: body does not match the sha256 it is stored under"
        assert actual in good, f"{obj}: cached a body the endpoint never sends"


@pytest.fixture(scope="module")
def baselines(server, hc4_files, tmp_path_factory):
    """The undisturbed builds: shards and skip counts every disturbed build must reproduce."""
    out = {}
    for name in KEYS:
        root = tmp_path_factory.mktemp(name)
        build(server, name, root / "out", root / "cache")
        manifest = check_manifest(root / "out")
        out[name] = (shards(root / "out"), {c: e["skipped"] for c, e in manifest["configs"].items()})
        assert out[name][0], f"{name}: the baseline wrote no shards"
    return out


def assert_same_as_baseline(baselines, name: str, out: Path) -> dict:
    manifest = check_manifest(out)
    want_shards, want_skips = baselines[name]
    assert shards(out) == want_shards
    assert {c: e["skipped"] for c, e in manifest["configs"].items()} == want_skips  # only permanent skips
    return manifest


# ---- faults a build must not survive: the unit fails, nothing bad is cached, the rerun builds it all --------
PERSISTENT = [  # (builder, path fragment, fault kind, options)
    ("eurlex-sum", "/cellar/celex/", "status", {"status": 503}),
    ("eurlex-sum", "/cellar/legissum/", "challenge", {"challenge": "cloudflare"}),
    ("eurlex-sum", "/cellar/celex/", "maintenance", {}),
    ("eurlex-sum", "/cellar/celex/", "truncate", {}),
    ("eurlex-sum", "/cellar/legissum/", "reset", {}),
    ("eurlex-sum", "/cellar/celex/", "drip", {"interval": 0.3}),
    ("eurlex-sum", "/cellar/celex/", "oversized", {"size": 1_500_000}),
    ("eurlex-sum", "/sparql", "wrong-type", {}),
    ("entity-cs", "/wikidata-api", "maintenance", {}),
    ("entity-cs", "/wikipedia-api", "wrong-type", {}),
    ("entity-cs", "/wikipedia-api", "challenge", {"challenge": "ddos-guard"}),
    ("clef-queries", "/hc4/dev.topics", "maintenance", {}),
    ("clef-queries", "/hc4/test.topics", "status", {"status": 429, "retry_after": "0"}),
]


@pytest.mark.parametrize("name,where,kind,kw", PERSISTENT, ids=[f"{n}-{k}-{w}" for n, w, k, kw in PERSISTENT])
def test_fault_fails_the_build_then_the_rerun_is_identical(server, baselines, tmp_path, name, where, kind, kw):
    server.inject(where, kind, times=None, **kw)
    short = {"deadline": 1.0, "retries": 1} if kind == "drip" else {}
    with pytest.raises(CurateError) as err:
        build(server, name, tmp_path / "out", tmp_path / "cache", **short)
    assert "Traceback" not in str(err.value)
    assert server.hits(where, fault=kind), "the fault was never served"
    assert not (tmp_path / "out" / "manifest.json").exists() or not json.loads(
        (tmp_path / "out" / "manifest.json").read_text())["configs"]  # no config claims to be built
    # a fault on the listing request (sparql, wikipedia-api) leaves nothing cached; the rerun below must cache
    assert_cache_clean(tmp_path / "cache", server, may_be_empty=True)
    server.clear()
    # the same command, the weather gone; after a 200 page that is not the resource, a fresh --out on the
    # same cache must not be poisoned either
    out = tmp_path / ("fresh" if kind in ("maintenance", "wrong-type") else "out")
    build(server, name, out, tmp_path / "cache")
    assert_same_as_baseline(baselines, name, out)
    assert_cache_clean(tmp_path / "cache", server)


# ---- weather the fetcher rides out within one build ----------------------------------------------------------
def test_transient_faults_are_retried_and_counted(server, baselines, tmp_path):
    server.inject("/sparql", "status", times=2, status=429, retry_after="0")
    server.inject("/cellar/celex/", "reset", times=1)
    server.inject("/cellar/legissum/", "status", times=1, status=503)
    server.inject("/cellar/legissum/", "maintenance", times=1)
    build(server, "eurlex-sum", tmp_path / "out", tmp_path / "cache")
    manifest = assert_same_as_baseline(baselines, "eurlex-sum", tmp_path / "out")
    fetch = manifest["configs"]["en"]["fetch"]  # the fetcher's counters reach the manifest
    assert fetch["retries"] == 5 and fetch["rejected"] == 1, fetch
    assert fetch["requests"] == 3 + 5, fetch
    assert_cache_clean(tmp_path / "cache", server)


def test_a_shared_pass_counts_its_requests_once(server, tmp_path):
    """entity-cs builds every config from one pass over a unit: its requests belong in one config's entry."""
    from curate.build import build as run_build
    from curate.registry import get_builder
    from curate.run import BuildOptions

    before = len(server.hits())
    opts = BuildOptions(out_dir=tmp_path / "out", sample=True, cache_dir=tmp_path / "cache", options={}, progress=False,
                        endpoints={k: server.endpoint(k) for k in KEYS["entity-cs"]}, fetch=dict(FAST))
    manifest = run_build(get_builder("entity-cs"), ["de", "fr"], opts)["manifest"]
    served = len(server.hits()) - before
    entries = manifest["configs"]
    assert served > 0 and sum(e["fetch"].get("requests", 0) for e in entries.values()) == served, (served, entries)
    assert entries["fr"]["shared_units_counted_under"] == ["de"]
    assert "shared_units_counted_under" not in entries["de"]


def test_unknown_endpoint_key_is_a_clear_error(tmp_path):
    from curate.cli import main

    code = main(["build", "eurlex-sum", "--sample", "--out", str(tmp_path / "out"), "--endpoint",
                 "celex=http://127.0.0.1:9/"])
    assert code == 2 and not (tmp_path / "out").exists()


# ---- kills: the whole process group, or the curate PID only ----------------------------------------------------
def _cli(server, name: str, out: Path, cache: Path) -> list[str]:
    cmd = [sys.executable, "-m", "curate.cli", "build", name, "--out", str(out), "--cache-dir", str(cache),
           "--no-progress", "--retries", "1", "--timeout", "5", "--deadline", "30", "--rate-limit", "0"]
    cmd += ["--sample"] if SAMPLE[name] else []
    for c in CONFIGS[name]:
        cmd += ["--config", c]
    for k in KEYS[name]:
        cmd += ["--endpoint", f"{k}={server.endpoint(k)}"]
    return cmd


@pytest.mark.parametrize("name,where,group", [
    ("eurlex-sum", "/sparql", True),             # while listing the work units, before any is dispatched
    ("eurlex-sum", "/cellar/legissum/", True),   # mid-unit: the act is cached, the summary in flight
    ("eurlex-sum", "/cellar/celex/", False),     # PID only: its workers must not live on holding the folder
    ("entity-cs", "/wikidata-api", True),
])
def test_kill_mid_build_then_rerun_is_identical(server, baselines, tmp_path, name, where, group):
    server.inject(where, "drip", times=None, interval=0.2)  # holds the build at a known point
    proc = subprocess.Popen(_cli(server, name, tmp_path / "out", tmp_path / "cache"), cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not server.hits(where, fault="drip"):
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "the build never reached the injected fault"
            time.sleep(0.05)
        if group:
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
    server.clear()
    # a kill during the listing, or before a worker stored anything, leaves nothing cached; the rerun must cache
    assert_cache_clean(tmp_path / "cache", server, may_be_empty=True)
    start = time.monotonic()
    while True:  # a PID-only kill: the orphaned workers notice their parent is gone within a moment
        try:
            build(server, name, tmp_path / "out", tmp_path / "cache")
            break
        except CurateError as exc:
            if "another curate build" not in str(exc) or time.monotonic() - start > 10:
                raise
            time.sleep(0.5)
    assert_same_as_baseline(baselines, name, tmp_path / "out")
    assert_cache_clean(tmp_path / "cache", server)


def test_failed_unit_is_one_clear_line_naming_the_url(server, tmp_path, capsys):
    from curate.cli import main

    server.inject("/cellar/celex/", "maintenance", times=None)
    argv = ["build", "eurlex-sum", "--sample", "--out", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "c"),
            "--retries", "0", "--rate-limit", "0", "--no-progress"]
    for k in KEYS["eurlex-sum"]:
        argv += ["--endpoint", f"{k}={server.endpoint(k)}"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"{server.endpoint('cellar')}/celex/32004R0261: HTTP 200: answer rejected" in err
    assert "| ERROR |" in err and "Traceback" not in err  # the worker's log file keeps it, not the terminal


def test_corrupted_cache_entry_is_refetched_and_counted_in_the_manifest(server, baselines, tmp_path):
    build(server, "eurlex-sum", tmp_path / "first", tmp_path / "cache")
    objects = sorted((tmp_path / "cache" / "http" / "objects").iterdir(), key=lambda p: p.stat().st_size)
    objects[-1].write_bytes(b"bit rot")  # the act, the largest body
    before = len(server.hits("/cellar/celex/"))
    build(server, "eurlex-sum", tmp_path / "second", tmp_path / "cache")
    manifest = assert_same_as_baseline(baselines, "eurlex-sum", tmp_path / "second")
    assert manifest["configs"]["en"]["fetch"]["cache_corrupted"] == 1
    assert len(server.hits("/cellar/celex/")) == before + 1  # refetched once, then cached again
    assert_cache_clean(tmp_path / "cache", server)


# ---- the cache check itself: it must not pass vacuously ---------------------------------------------------------
def test_cache_check_fails_on_a_missing_or_empty_index(server, tmp_path):
    with pytest.raises(AssertionError, match="no cache index entries"):
        assert_cache_clean(tmp_path / "nothing", server)
    (tmp_path / "empty" / "http" / "index").mkdir(parents=True)
    with pytest.raises(AssertionError, match="no cache index entries"):
        assert_cache_clean(tmp_path / "empty", server)
    assert_cache_clean(tmp_path / "nothing", server, may_be_empty=True)  # only when the caller says so


def _store(cache: Path, url: str, content: bytes) -> None:
    """One entry written by the real cache, at the path a builder's fetcher uses (`cache/http`)."""
    from collections import Counter

    from curate.fetch import ResponseCache

    ResponseCache(cache / "http", Counter()).store(hashlib.sha256(url.encode()).hexdigest(), "GET", url, 200,
                                                  {"Content-Type": "text/html"}, content)


def test_cache_check_reads_the_real_cache_layout_and_hashes_the_bodies(server, tmp_path):
    good = next(body for _, _, body in server.routes.values() if body)
    _store(tmp_path / "ok", "http://x/good", good)
    assert_cache_clean(tmp_path / "ok", server)  # finds the entry the real cache wrote, and accepts it

    from fault_server import MAINTENANCE_PAGE

    _store(tmp_path / "bad", "http://x/good", good)
    _store(tmp_path / "bad", "http://x/page", MAINTENANCE_PAGE)
    with pytest.raises(AssertionError, match="cached a body the endpoint never sends"):
        assert_cache_clean(tmp_path / "bad", server)

    # an entry naming a good digest whose stored bytes are something else: the bytes are what count
    _store(tmp_path / "swapped", "http://x/good", good)
    (tmp_path / "swapped" / "http" / "objects" / hashlib.sha256(good).hexdigest()).write_bytes(MAINTENANCE_PAGE)
    with pytest.raises(AssertionError, match="does not match the sha256"):
        assert_cache_clean(tmp_path / "swapped", server)
