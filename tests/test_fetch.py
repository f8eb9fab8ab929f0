"""CachedFetcher, CassetteAdapter and the fixture recorder, against a local HTTP server (no internet)."""

from __future__ import annotations

import email.utils
import importlib.util
import json
import pickle
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from curate import __version__
from curate.errors import CurateError
from curate.fetch import (
    CachedFetcher,
    CassetteMiss,
    ChallengePageError,
    FetchError,
    OfflineCacheMiss,
    fetch_cached,
    parse_retry_after,
    redact_url,
)

REPO = Path(__file__).resolve().parent.parent


class ScriptedServer:
    """Serves, per path, a list of (status, headers, body[, delay s]) in order (the last repeats); logs requests."""

    def __init__(self):
        self.routes: dict[str, list[tuple]] = {}
        self.served: dict[str, int] = {}
        self.log: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                outer.log.append({"method": self.command, "path": self.path, "headers": dict(self.headers),
                                  "body": body, "time": time.monotonic()})
                route = self.path.split("?")[0]
                answers = outer.routes.get(route, [(404, {}, b"not found")])
                i = outer.served.get(route, 0)
                outer.served[route] = i + 1
                status, headers, content, *delay = answers[min(i, len(answers) - 1)]
                if delay:
                    time.sleep(delay[0])
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                try:
                    self.wfile.write(content)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02},
                                       daemon=True)
        self.thread.start()

    def hits(self, route: str) -> list[dict]:
        return [r for r in self.log if r["path"].split("?")[0] == route]


@pytest.fixture
def server():
    s = ScriptedServer()
    yield s
    s.httpd.shutdown()
    s.httpd.server_close()


def fetcher(tmp_path: Path, **kw) -> CachedFetcher:
    kw.setdefault("rate_limit", None)
    kw.setdefault("backoff", 0.01)
    return CachedFetcher(tmp_path / "cache", **kw)


def test_cache_miss_then_hit_and_user_agent(server, tmp_path):
    server.routes["/a"] = [(200, {"Content-Type": "text/html; charset=utf-8"}, "Ħal Qormi".encode())]
    f = fetcher(tmp_path)
    first = f.get(server.url + "/a", params={"b": "2", "a": "1"})
    second = f.get(server.url + "/a", params={"a": "1", "b": "2"})  # same request, params in another order
    assert (first.from_cache, second.from_cache) == (False, True)
    assert first.text == second.text == "Ħal Qormi" and second.status == 200
    assert len(server.hits("/a")) == 1
    assert server.log[0]["path"] == "/a?a=1&b=2"
    assert server.log[0]["headers"]["User-Agent"] == f"curate/{__version__} (+https://github.com/curate-nlp/curate)"
    assert f.stats["cache_hits"] == 1 and f.stats["cache_misses"] == 1
    # the layout: one body object, one index entry naming it
    (entry_path,) = (tmp_path / "cache" / "index").iterdir()
    entry = json.loads(entry_path.read_text())
    assert (tmp_path / "cache" / "objects" / entry["content_sha256"]).read_bytes() == "Ħal Qormi".encode()
    assert entry["status"] == 200 and entry["url"].endswith("/a?a=1&b=2")


def test_content_headers_are_part_of_the_key(server, tmp_path):
    server.routes["/lang"] = [(200, {}, b"en"), (200, {}, b"mt")]
    f = fetcher(tmp_path)
    assert f.get(server.url + "/lang", headers={"Accept-Language": "en"}).content == b"en"
    assert f.get(server.url + "/lang", headers={"Accept-Language": "mt"}).content == b"mt"
    assert f.get(server.url + "/lang", headers={"Accept-Language": "en"}).from_cache
    # a header that does not change content (Authorization) does not split the cache
    assert f.get(server.url + "/lang", headers={"Accept-Language": "en", "Authorization": "x"}).from_cache


def test_post_is_cached_by_body(server, tmp_path):
    server.routes["/sparql"] = [(200, {"Content-Type": "application/json"}, b'{"n": 1}'),
                                (200, {"Content-Type": "application/json"}, b'{"n": 2}')]
    f = fetcher(tmp_path)
    assert f.post(server.url + "/sparql", data={"query": "q1"}).json() == {"n": 1}
    assert f.post(server.url + "/sparql", data={"query": "q2"}).json() == {"n": 2}
    assert f.post(server.url + "/sparql", data={"query": "q1"}).from_cache
    assert server.log[0]["body"] == b"query=q1"
    assert server.log[0]["headers"]["Content-Type"] == "application/x-www-form-urlencoded"


def test_offline_miss_names_the_url_and_offline_hit_works(server, tmp_path):
    server.routes["/x"] = [(200, {}, b"x")]
    fetcher(tmp_path).get(server.url + "/x")
    off = fetcher(tmp_path, offline=True)
    assert off.get(server.url + "/x").content == b"x"
    with pytest.raises(OfflineCacheMiss, match=r"127\.0\.0\.1:\d+/y: not in the cache"):
        off.get(server.url + "/y")
    assert len(server.log) == 1


@pytest.mark.parametrize("damage", ["body", "index", "missing"])
def test_corrupted_entry_is_detected_counted_and_refetched(server, tmp_path, damage):
    server.routes["/c"] = [(200, {}, b"good body")]
    f = fetcher(tmp_path)
    f.get(server.url + "/c")
    (entry_path,) = (tmp_path / "cache" / "index").iterdir()
    obj = tmp_path / "cache" / "objects" / json.loads(entry_path.read_text())["content_sha256"]
    if damage == "body":
        obj.write_bytes(b"good bodz")
    elif damage == "index":
        entry_path.write_text('{"status": 200, "content_sha')
    else:
        obj.unlink()
    with pytest.raises(OfflineCacheMiss, match="corrupted"):
        fetcher(tmp_path, offline=True).get(server.url + "/c")
    again = f.get(server.url + "/c")  # the bad entry was removed: this is a clean miss, refetched
    assert again.content == b"good body" and not again.from_cache
    assert len(server.hits("/c")) == 2
    assert fetcher(tmp_path, offline=True).get(server.url + "/c").content == b"good body"

    f.get(server.url + "/c")
    obj.write_bytes(b"tampered")
    refetched = f.get(server.url + "/c")
    assert refetched.content == b"good body" and not refetched.from_cache
    assert f.stats["cache_corrupted"] == 1


def test_retry_on_429_honours_retry_after_then_succeeds(server, tmp_path):
    server.routes["/r"] = [(429, {"Retry-After": "1"}, b"slow down"), (200, {}, b"ok")]
    f = fetcher(tmp_path, backoff=20.0)  # the header, not the backoff (10-20 s with jitter), decides the wait
    start = time.monotonic()
    assert f.get(server.url + "/r").content == b"ok"
    hits = server.hits("/r")
    assert len(hits) == 2
    assert 0.9 <= hits[1]["time"] - hits[0]["time"] < 8.0  # upper bounds: below the 10 s backoff minimum, loose
    assert time.monotonic() - start < 8.0
    assert f.stats["retries"] == 1


def test_retry_after_http_date():
    now = time.time()
    assert parse_retry_after(email.utils.formatdate(now + 30, usegmt=True), now=now) == pytest.approx(30, abs=1)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_retry_after_longer_than_allowed_is_an_error(server, tmp_path):
    server.routes["/busy"] = [(503, {"Retry-After": "3600"}, b"")]
    with pytest.raises(FetchError, match="retry after 3600 s"):
        fetcher(tmp_path).get(server.url + "/busy")
    assert len(server.hits("/busy")) == 1


def test_retry_on_503_with_backoff(server, tmp_path):
    server.routes["/s"] = [(503, {}, b""), (502, {}, b""), (200, {}, b"up")]
    f = fetcher(tmp_path, backoff=0.05)
    assert f.get(server.url + "/s").content == b"up"
    t = [h["time"] for h in server.hits("/s")]
    assert len(t) == 3
    # equal jitter: attempt k waits between backoff*2^k/2 and backoff*2^k
    assert t[1] - t[0] >= 0.015 and t[2] - t[1] >= 0.03  # server-side arrival times jitter a little


def test_gives_up_after_retries_with_a_clear_error(server, tmp_path):
    server.routes["/down"] = [(500, {}, b"")]
    with pytest.raises(FetchError, match=r"/down: HTTP 500: gave up after 3 attempts") as err:
        fetcher(tmp_path, retries=2).get(server.url + "/down")
    assert err.value.status == 500 and isinstance(err.value, CurateError)
    assert len(server.hits("/down")) == 3
    assert not (tmp_path / "cache" / "index").exists()  # failures are never cached


def test_client_error_is_not_retried_and_404_is_cached_as_negative(server, tmp_path):
    server.routes["/forbidden"] = [(403, {}, b"")]
    server.routes["/gone"] = [(404, {}, b"no such act")]
    f = fetcher(tmp_path)
    with pytest.raises(FetchError) as err:
        f.get(server.url + "/forbidden")
    assert err.value.status == 403 and len(server.hits("/forbidden")) == 1
    with pytest.raises(FetchError) as err:
        f.get(server.url + "/gone")
    assert err.value.status == 404
    with pytest.raises(FetchError, match="HTTP 404: cached answer") as err:
        fetcher(tmp_path, offline=True).get(server.url + "/gone")  # same outcome offline
    assert err.value.status == 404 and len(server.hits("/gone")) == 1


def test_timeout_is_retried_then_reported(server, tmp_path):
    server.routes["/slow"] = [(200, {}, b"late", 3.0)]
    start = time.monotonic()
    with pytest.raises(FetchError, match=r"no response: gave up after 2 attempts; last: .*Timeout"):
        fetcher(tmp_path, timeout=0.2, retries=1).get(server.url + "/slow")
    assert time.monotonic() - start < 4.0  # 2 x 0.2 s timeouts; waiting for the answers would take 6 s
    assert len(server.hits("/slow")) == 2


def test_connection_refused_is_retried(tmp_path):
    with pytest.raises(FetchError, match="gave up after 2 attempts; last: ConnectionError"):
        fetcher(tmp_path, retries=1).get("http://127.0.0.1:9/nothing-listens-here")


@pytest.mark.parametrize("status,headers,body", [
    (202, {"x-amzn-waf-action": "challenge"}, b""),
    (405, {"x-amzn-waf-action": "captcha"}, b"<html>captcha</html>"),
    (200, {"Content-Type": "text/html"},
     b"<html><head><script>window.awsWafCookieDomainList = [];window.gokuProps = {\"key\":\"x\"};</script>"),
])
def test_bot_challenge_is_an_error_and_never_cached(server, tmp_path, status, headers, body):
    server.routes["/legal-content"] = [(status, headers, body), (200, {}, b"real page")]
    f = fetcher(tmp_path)
    with pytest.raises(ChallengePageError, match=r"/legal-content: bot-protection challenge"):
        f.get(server.url + "/legal-content")
    assert f.stats["challenges"] == 1 and len(server.hits("/legal-content")) == 1
    assert not (tmp_path / "cache" / "index").exists()
    with pytest.raises(OfflineCacheMiss):
        fetcher(tmp_path, offline=True).get(server.url + "/legal-content")


def test_page_loading_the_waf_token_script_is_not_a_challenge(server, tmp_path):
    body = b'<html><head><script src="https://x.token.awswaf.com/y/challenge.js"></script></head>Text</html>'
    server.routes["/ok"] = [(200, {"Content-Type": "text/html"}, body)]
    assert fetcher(tmp_path).get(server.url + "/ok").content == body


def test_202_not_ready_is_returned_but_not_cached(server, tmp_path):
    server.routes["/rendition"] = [(202, {}, b""), (200, {}, b"<html>summary</html>")]
    f = fetcher(tmp_path)
    assert f.get(server.url + "/rendition").status == 202
    assert f.get(server.url + "/rendition").content == b"<html>summary</html>"


def test_rate_limit_spaces_requests_per_host_across_fetchers(server, tmp_path):
    for i in range(4):
        server.routes[f"/p{i}"] = [(200, {}, b"x")]
    a, b = fetcher(tmp_path, rate_limit=5), fetcher(tmp_path, rate_limit=5)  # share the cache folder
    for i in range(4):
        (a if i % 2 else b).get(f"{server.url}/p{i}")
    t = sorted(h["time"] for h in server.log)
    gaps = [y - x for x, y in zip(t, t[1:], strict=False)]
    # 0.2 s apart at the client; server-side arrival jitters under load, and without the lock the gap is ~0
    assert min(gaps) >= 0.1 and t[-1] - t[0] >= 0.45, gaps


def test_rate_limit_is_per_host(server, tmp_path):
    server.routes["/h"] = [(200, {}, b"x")]
    f = fetcher(tmp_path, rate_limit=0.5)  # 2 s between two requests to the same host
    start = time.monotonic()
    f.get(server.url + "/h")
    f.get(server.url.replace("127.0.0.1", "localhost") + "/h")  # another host name: its own budget
    assert time.monotonic() - start < 1.5  # not the 2 s it would wait on the same host (loose under load)
    f.get(server.url + "/h?again=1")
    assert time.monotonic() - start >= 1.95


def test_rate_limit_holds_across_threads(server, tmp_path):
    for i in range(4):
        server.routes[f"/t{i}"] = [(200, {}, b"x")]
    f = fetcher(tmp_path, rate_limit=10)
    threads = [threading.Thread(target=f.get, args=(f"{server.url}/t{i}",)) for i in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    t = sorted(h["time"] for h in server.log)
    assert len(t) == 4 and t[-1] - t[0] >= 0.2  # 0.3 s at the client; ~0 without the lock


def _two_gets(cache_dir: str, base: str, tag: str) -> None:
    f = CachedFetcher(cache_dir, rate_limit=5)
    for i in range(2):
        f.get(f"{base}/{tag}{i}")


def test_rate_limit_holds_across_processes(server, tmp_path):
    import multiprocessing

    for tag in "ab":
        for i in range(2):
            server.routes[f"/{tag}{i}"] = [(200, {}, b"x")]
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_two_gets, args=(str(tmp_path / "cache"), server.url, tag)) for tag in "ab"]
    for p in procs:
        p.start()
    for p in procs:
        p.join(20)
    assert [p.exitcode for p in procs] == [0, 0]
    t = sorted(h["time"] for h in server.log)
    gaps = [y - x for x, y in zip(t, t[1:], strict=False)]
    # 0.2 s apart at the client; server-side arrival times jitter under load; without the shared lock two
    # requests arrive together (gap ~0)
    assert len(t) == 4 and min(gaps) >= 0.1 and t[-1] - t[0] >= 0.45, gaps


def test_fetcher_pickles_for_workers(server, tmp_path):
    server.routes["/p"] = [(200, {}, b"x")]
    f = pickle.loads(pickle.dumps(fetcher(tmp_path)))
    assert f.get(server.url + "/p").content == b"x"


def test_fetch_cached_convenience_and_redaction(server, tmp_path):
    server.routes["/conv"] = [(200, {}, b"c")]
    assert fetch_cached(server.url + "/conv", tmp_path / "c", rate_limit=None).content == b"c"
    assert fetch_cached(server.url + "/conv", tmp_path / "c", offline=True).from_cache
    assert redact_url("https://h/x?api_key=SECRET&q=1") == "https://h/x?api_key=%2A%2A%2A&q=1"
    server.routes["/auth"] = [(401, {}, b"")]
    with pytest.raises(FetchError) as err:
        fetcher(tmp_path).get(server.url + "/auth", params={"access_token": "hf_SECRET"})
    assert "hf_SECRET" not in str(err.value)


def test_json_error_names_the_url(server, tmp_path):
    server.routes["/bad.json"] = [(200, {"Content-Type": "application/json"}, b'{"a": ')]
    with pytest.raises(CurateError, match=r"/bad\.json.*invalid JSON"):
        fetcher(tmp_path).get(server.url + "/bad.json").json()


# ---- cassettes -----------------------------------------------------------------------------------------------
def write_cassette(folder: Path, lines: list[dict], bodies: dict[str, bytes]) -> Path:
    (folder / "bodies").mkdir(parents=True)
    for name, content in bodies.items():
        (folder / "bodies" / name).write_bytes(content)
    (folder / "index.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    return folder


def test_cassette_replays_in_order_through_the_retry_path(tmp_path):
    url = "https://publications.europa.eu/resource/celex/32004R0261"
    hdrs = {"Accept": "application/xhtml+xml", "Accept-Language": "eng"}
    cassette = write_cassette(tmp_path / "cas", [
        {"method": "GET", "url": url, "params": None, "request_headers": hdrs, "data": None, "status": 429,
         "headers": {"Retry-After": "0"}, "body": None, "note": "throttled first"},
        {"method": "GET", "url": url, "params": None, "request_headers": hdrs, "data": None, "status": 200,
         "headers": {"Content-Type": "application/xhtml+xml; charset=utf-8"}, "body": "bodies/act.xhtml",
         "note": ""},
        {"method": "GET", "url": "https://eur-lex.europa.eu/search.html", "params": {"page": "2", "lang": "en"},
         "request_headers": {}, "data": None, "status": 200, "headers": {}, "body": "bodies/p2.html", "note": ""},
        {"method": "POST", "url": "https://publications.europa.eu/webapi/rdf/sparql", "params": None,
         "request_headers": {}, "data": {"query": "SELECT 1"}, "status": 200, "headers": {},
         "body": "bodies/p2.html", "note": ""},
    ], {"act.xhtml": b"<p>Regulation (EC) No 261/2004</p>", "p2.html": b"page two"})
    f = fetcher(tmp_path, cassette=cassette, rate_limit=1.0)
    start = time.monotonic()
    page = f.get(url, headers=hdrs)
    assert page.text == "<p>Regulation (EC) No 261/2004</p>" and page.status == 200
    assert f.stats["retries"] == 1 and f.stats["requests"] == 2
    assert f.get(url, headers=hdrs).from_cache  # replay writes the cache like a live fetch
    assert f.get("https://eur-lex.europa.eu/search.html", params={"lang": "en", "page": "2"}).content == b"page two"
    assert f.post("https://publications.europa.eu/webapi/rdf/sparql",
                  data={"query": "SELECT 1"}).content == b"page two"
    assert time.monotonic() - start < 2.5  # replay is not rate limited (1 request/s would take >= 3 s)
    with pytest.raises(CassetteMiss, match=r"resource/celex/32004R0261: no recorded GET exchange .*'fra'.*"
                                           r"recorded for this URL: GET Accept='application/xhtml\+xml' "
                                           r"Accept-Language='eng'"):
        f.get(url, headers={"Accept": "application/xhtml+xml", "Accept-Language": "fra"})  # another request


def test_cassette_last_line_repeats_and_challenge_is_detected(tmp_path):
    url = "https://eur-lex.europa.eu/legal-content/EN/TXT/HTML/?uri=CELEX:32004R0261"
    cassette = write_cassette(tmp_path / "cas", [
        {"method": "GET", "url": url, "status": 503, "headers": {}, "body": None},
        {"method": "GET", "url": url, "status": 202, "headers": {"x-amzn-waf-action": "challenge"}, "body": None},
    ], {})
    with pytest.raises(ChallengePageError):
        fetcher(tmp_path, cassette=cassette).get(url)
    with pytest.raises(ChallengePageError):  # a new fetcher replays from the top again
        fetcher(tmp_path, cassette=cassette).get(url)


def test_bad_cassette_line_is_reported_with_its_line(tmp_path):
    folder = tmp_path / "cas"
    folder.mkdir()
    (folder / "index.jsonl").write_text('{"method": "GET", "url": "https://a/", "status": 200}\n{"url": \n')
    with pytest.raises(CurateError, match=r"index\.jsonl:2: bad cassette line"):
        fetcher(tmp_path, cassette=folder)
    with pytest.raises(CurateError, match="no index.jsonl"):
        fetcher(tmp_path, cassette=tmp_path / "nowhere")


def load_recorder():
    spec = importlib.util.spec_from_file_location("record_fixtures", REPO / "scripts" / "record_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_recorder_writes_a_cassette_that_replays_identically(server, tmp_path):
    rec = load_recorder()
    server.routes["/list"] = [(429, {"Retry-After": "0"}, b""),
                              (200, {"Content-Type": "text/html; charset=utf-8", "Set-Cookie": "s=secret"},
                               "<li>Ħ</li>".encode())]
    server.routes["/old"] = [(301, {"Location": "/list"}, b"")]
    server.routes["/q"] = [(200, {"Content-Type": "application/sparql-results+json"}, b'{"results": []}')]
    requests_file = tmp_path / "reqs.jsonl"
    requests_file.write_text(json.dumps({"method": "POST", "url": server.url + "/q", "data": {"query": "ASK {}"}})
                             + "\n" + json.dumps({"url": server.url + "/missing"}) + "\n")
    cassette = tmp_path / "cassette"
    assert rec.main([str(cassette), "--url", server.url + "/list?b=1&a=2", "--header", "Accept-Language: mt",
                     "--url", server.url + "/old", "--requests", str(requests_file), "--rate-limit", "0",
                     "--note", "test"]) == 0
    lines = [json.loads(x) for x in (cassette / "index.jsonl").read_text().splitlines()]
    # 429 + 200 for /list, 301 + 200 for /old (each redirect hop is its own exchange), POST, 404
    assert [ln["status"] for ln in lines] == [429, 200, 301, 200, 200, 404]
    assert lines[1]["request_headers"] == {"Accept": "*/*", "Accept-Language": "mt"}
    assert "Set-Cookie" not in lines[1]["headers"] and lines[1]["note"] == "test"
    assert lines[4]["data"] == "query=ASK+%7B%7D" and lines[4]["body"].endswith(".json")
    assert (cassette / lines[1]["body"]).read_bytes() == "<li>Ħ</li>".encode()
    live_requests = len(server.log)

    replay = fetcher(tmp_path / "replay", cassette=cassette)
    page = replay.get(server.url + "/list?b=1&a=2", headers={"Accept-Language": "mt"})
    assert page.text == "<li>Ħ</li>" and replay.stats["retries"] == 1
    moved = replay.get(server.url + "/old", headers={"Accept-Language": "mt"})  # redirect replayed hop by hop
    assert moved.content == "<li>Ħ</li>".encode() and moved.url == server.url + "/list"
    assert replay.post(server.url + "/q", data={"query": "ASK {}"}).json() == {"results": []}
    with pytest.raises(FetchError) as err:
        replay.get(server.url + "/missing")
    assert err.value.status == 404
    assert len(server.log) == live_requests  # the replay never touched the server


# ---- answers checked before caching (issue 11 item 1) --------------------------------------------------------
def test_refused_answer_is_retried_never_cached_then_an_error(server, tmp_path):
    from curate.fetch import RejectedAnswerError, expect_json

    maintenance = (200, {"Content-Type": "text/html"}, b"<html><title>Down for maintenance</title></html>")
    server.routes["/api"] = [maintenance, maintenance, (200, {"Content-Type": "application/json"}, b'{"ok": 1}')]
    f = fetcher(tmp_path, retries=1)
    with pytest.raises(RejectedAnswerError, match=r"/api: HTTP 200: answer rejected after 2 attempt\(s\): not JSON"):
        f.get(server.url + "/api", accept=expect_json)
    assert f.stats["rejected"] == 2 and f.stats["retries"] == 1
    assert not (tmp_path / "cache" / "index").exists()  # nothing cached: a rerun asks again
    assert f.get(server.url + "/api", accept=expect_json).json() == {"ok": 1}
    assert f.get(server.url + "/api", accept=expect_json).from_cache


def test_refused_answer_is_retried_within_one_call(server, tmp_path):
    from curate.fetch import expect_json

    server.routes["/flaky"] = [(200, {}, b"<html>oops</html>"), (200, {}, b"[1]")]
    f = fetcher(tmp_path)
    assert f.get(server.url + "/flaky", accept=expect_json).json() == [1]
    assert f.stats["rejected"] == 1 and len(server.hits("/flaky")) == 2


def test_cached_answer_the_check_refuses_is_dropped_and_refetched(server, tmp_path):
    from curate.fetch import expect_sha256

    server.routes["/file"] = [(200, {}, b"changed upstream"), (200, {}, b"pinned")]
    f = fetcher(tmp_path)
    f.get(server.url + "/file")  # cached without a check (an older curate did this)
    import hashlib

    check = expect_sha256(hashlib.sha256(b"pinned").hexdigest())
    with pytest.raises(OfflineCacheMiss, match=r"cached answer was refused \(sha256 .*\) and removed; rerun without"):
        fetcher(tmp_path, offline=True).get(server.url + "/file", accept=check)
    assert f.get(server.url + "/file", accept=check).content == b"pinned"
    assert fetcher(tmp_path, offline=True).get(server.url + "/file", accept=check).from_cache


def test_maintenance_and_truncation_checks():
    from requests.structures import CaseInsensitiveDict

    from curate.fetch import FetchResponse, expect_document, maintenance_detail

    def resp(body, ctype="text/html"):
        return FetchResponse("u", 200, CaseInsensitiveDict({"Content-Type": ctype}), body, False)

    assert "maintenance" in maintenance_detail(resp(b"<html><title>Maintenance</title><p>back soon</p></html>"))
    assert "Service Unavailable" in maintenance_detail(resp(b"<html><body><h1>503 Service Unavailable</h1></body></html>"))
    assert "Error 502" in maintenance_detail(resp(b"<html><body><p>Error 502. Please retry.</p></body></html>"))
    short_act = b"<html><head><title>Decision on the maintenance of access roads</title></head><body><p>Article 1 " \
                b"Regulation (EU) No 503/2012 applies to access denied to vehicles.</p></body></html>"
    assert maintenance_detail(resp(short_act)) is None  # words of a real act are not an outage
    long_page = b"<html><body><p>" + b"Article 1 applies when the service is temporarily unavailable. " * 80 + b"</p>"
    assert maintenance_detail(resp(long_page + b"</body></html>")) is None  # a long document may say it
    assert "truncated" in expect_document(resp(long_page))
    assert expect_document(resp(b"   ")) == "empty body"
    assert expect_document(resp(b"%PDF-1.4 ...", "application/pdf")) is None


# ---- challenges (issue 11 item 11) ---------------------------------------------------------------------------
@pytest.mark.parametrize("status,headers,body", [
    (403, {"cf-mitigated": "challenge"}, b"<html></html>"),
    (503, {"Content-Type": "text/html"}, b"<html><head><title>Just a moment...</title></head></html>"),
    (403, {}, b"<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title></head></html>"),
    (200, {}, b"<html><head><title>\n  Checking your browser before accessing example.org </title></head></html>"),
    (403, {"Server": "ddos-guard"}, b"<html><head><title>DDoS-Guard</title></head></html>"),
    (200, {}, b"<html><script>window._cf_chl_opt = {cType: 'managed'};</script></html>"),
])
def test_cloudflare_and_other_interstitials_are_challenges(server, tmp_path, status, headers, body):
    server.routes["/p"] = [(status, headers, body)]
    f = fetcher(tmp_path)
    with pytest.raises(ChallengePageError, match="bot-protection challenge"):
        f.get(server.url + "/p")
    assert f.stats["challenges"] == 1 and len(server.hits("/p")) == 1  # not retried
    assert not (tmp_path / "cache" / "index").exists()


def test_article_quoting_interstitial_words_is_content(server, tmp_path):
    body = (b"<html><head><title>DDoS-Guard - Wikipedia</title></head><body>DDoS-Guard shows 'Checking your "
            b"browser' and Cloudflare 'Just a moment...' pages.</body></html>")
    server.routes["/wiki"] = [(200, {"Content-Type": "text/html"}, body)]
    assert fetcher(tmp_path).get(server.url + "/wiki").content == body


# ---- deadline and size cap (issue 11 item 9) -----------------------------------------------------------------
class DripServer:
    """Sends headers at once, then the body one byte every `interval` s (a slow-loris answer)."""

    def __init__(self, interval: float = 0.1, size: int = 400, in_headers: bool = False):
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/drip"
        self.interval, self.size, self.in_headers, self.stop = interval, size, in_headers, threading.Event()
        self.requests = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn):
        self.requests += 1
        try:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\n" if self.in_headers else
                         f"HTTP/1.1 200 OK\r\nContent-Length: {self.size}\r\n\r\n".encode())
            for _ in range(self.size):
                if self.stop.is_set():
                    break
                conn.sendall(b"x")
                time.sleep(self.interval)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self):
        self.stop.set()
        self.sock.close()


@pytest.mark.parametrize("in_headers", [False, True])
def test_deadline_bounds_a_dripping_server(tmp_path, in_headers):
    # 40 s to send it all, each byte well inside the read timeout; headers too: "X-Slow: xxxx..." never ends
    drip = DripServer(interval=0.1, size=400, in_headers=in_headers)
    try:
        f = fetcher(tmp_path, timeout=5, deadline=0.5, retries=1)
        start = time.monotonic()
        with pytest.raises(FetchError, match=r"gave up after 2 attempts; last: deadline: no complete answer within "
                                             r"deadline=0.5 s"):
            f.get(drip.url)
        assert time.monotonic() - start < 8.0  # two attempts of 0.5 s (+ backoff, thread start), not 40 s
        assert f.stats["deadline_exceeded"] == 2 and drip.requests == 2
        assert not (tmp_path / "cache" / "index").exists()
    finally:
        drip.close()


@pytest.mark.parametrize("declared", [True, False])
def test_body_over_max_bytes_is_refused_without_retry(server, tmp_path, declared):
    from curate.fetch import BodyTooLargeError

    big = b"x" * 300_000
    if declared:
        server.routes["/big"] = [(200, {}, big)]
        url = server.url + "/big"
    else:  # no Content-Length (chunked): counted while streaming
        import http.server

        class Chunked(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                self.send_response(200)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for _ in range(30):
                    self.wfile.write(b"2710\r\n" + b"x" * 10_000 + b"\r\n")
                self.wfile.write(b"0\r\n\r\n")

            def log_message(self, *args):
                pass

        chunked = ThreadingHTTPServer(("127.0.0.1", 0), Chunked)
        threading.Thread(target=chunked.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{chunked.server_address[1]}/big"
    f = fetcher(tmp_path, max_bytes=100_000)
    try:
        with pytest.raises(BodyTooLargeError, match=r"more than max_bytes=100000; raise --max-bytes"):
            f.get(url)
        assert f.stats["requests"] == 1 and f.stats["retries"] == 0
        assert not (tmp_path / "cache" / "index").exists()
        assert fetcher(tmp_path / "roomy", max_bytes=1_000_000).get(url).content == big
    finally:
        if not declared:
            chunked.shutdown()
            chunked.server_close()


# ---- settings (issue 11: endpoints are configuration) ---------------------------------------------------------
def test_endpoint_and_fetch_settings_are_checked():
    from curate.fetch.settings import endpoint_overrides, fetch_settings

    known = {"cellar": "http://publications.europa.eu/resource", "sparql": "https://x/sparql"}
    assert endpoint_overrides("eurlex-sum", known, ["cellar=http://127.0.0.1:8000/cellar/"]) == {
        "cellar": "http://127.0.0.1:8000/cellar"}
    with pytest.raises(CurateError, match=r"has no endpoint 'celar'; its endpoints: cellar \(default http://publ"):
        endpoint_overrides("eurlex-sum", known, ["celar=http://127.0.0.1/"])
    with pytest.raises(CurateError, match="expected KEY=URL"):
        endpoint_overrides("eurlex-sum", known, ["cellar"])
    with pytest.raises(CurateError, match="not an http"):
        endpoint_overrides("eurlex-sum", known, ["cellar=ftp://x/"])
    assert fetch_settings(3, 2.5, 0, 10, 0) == {"retries": 3, "timeout": 2.5, "deadline": None, "max_bytes": 10,
                                               "rate_limit": None}
    with pytest.raises(CurateError, match="--timeout"):
        fetch_settings(timeout=0)
