"""A small HTTP server on 127.0.0.1 that plays the real remote endpoints from the recorded sample cassettes
and injects faults on request: the fault suite points `curate build --endpoint KEY=URL` at it.

    server = FaultServer({"sparql": ("eurlex_sum", SPARQL_ENDPOINT), ...})   # endpoint key -> cassette, base
    server.endpoint("cellar")            # -> http://127.0.0.1:PORT/cellar, the value for --endpoint cellar=
    server.inject("/cellar/celex/", "status", times=3, status=503)
    server.inject("/sparql", "drip")     # headers, then a byte every 0.5 s

A request is answered from the recorded exchange with the same method, URL (its recorded base replaced by
the server's), Accept, Accept-Language and body: the same key the fetcher's cassette replay uses. Faults
are matched by path substring, in order, each for `times` requests (None: until cleared). Every request is
logged with the fault it got. Extra routes (`server.files[path] = (content_type, bytes)`) serve fixtures
that are not in a cassette (the suite's synthetic HC4 files).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from curate.fetch import encode_body, full_url, request_key

REPO = Path(__file__).resolve().parents[2]

MAINTENANCE_PAGE = (b"<!DOCTYPE html><html><head><title>Service temporarily unavailable</title></head><body>"
                    b"<h1>Scheduled maintenance</h1><p>We will be back shortly.</p></body></html>")
CHALLENGES = {  # name -> (status, headers, body)
    "aws-waf": (202, {"x-amzn-waf-action": "challenge"}, b""),
    "cloudflare": (403, {"cf-mitigated": "challenge", "Content-Type": "text/html"},
                   b"<html><head><title>Just a moment...</title></head><body></body></html>"),
    "ddos-guard": (403, {"Server": "ddos-guard", "Content-Type": "text/html"},
                   b"<html><head><title>DDoS-Guard</title></head><body></body></html>"),
}


@dataclass
class Fault:
    match: str  # path substring
    kind: str  # status | reset | drip | challenge | wrong-type | maintenance | oversized | truncate
    times: int | None = 1
    status: int = 503
    retry_after: str | None = None
    challenge: str = "aws-waf"
    size: int = 2_000_000
    interval: float = 0.5
    served: int = 0


class FaultServer:
    def __init__(self, endpoints: dict[str, tuple[str, str]]):
        """`endpoints`: key -> (builder package under builders/, the default base URL its cassette recorded)."""
        self.routes: dict[str, tuple[int, dict, bytes]] = {}
        self.files: dict[str, tuple[str, bytes]] = {}
        self.faults: list[Fault] = []
        self.log: list[dict] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                outer._handle(self)

            do_POST = do_GET

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.bases = {key: f"{self.url}/{key}" for key in endpoints}
        for key, (package, default) in endpoints.items():
            self._load(REPO / "curate" / "builders" / package / "sample" / "cassette", default, self.bases[key])
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def endpoint(self, key: str) -> str:
        return self.bases[key]

    def _load(self, folder: Path, default: str, base: str) -> None:
        for raw in (folder / "index.jsonl").read_text(encoding="utf-8").splitlines():
            line = json.loads(raw)
            if not line["url"].startswith(default):
                continue
            url = full_url(base + line["url"][len(default):], line.get("params"))
            key = request_key(line.get("method", "GET"), url, line.get("request_headers") or {},
                              encode_body(line.get("data")))
            body = (folder / line["body"]).read_bytes() if line.get("body") else b""
            self.routes[key] = (int(line["status"]), dict(line.get("headers") or {}), body)

    # ---- faults ------------------------------------------------------------------------------------------------
    def inject(self, match: str, kind: str, **kw) -> Fault:
        fault = Fault(match, kind, **kw)
        with self.lock:
            self.faults.append(fault)
        return fault

    def clear(self) -> None:
        with self.lock:
            self.faults.clear()

    def hits(self, match: str = "", fault: str | None = None) -> list[dict]:
        with self.lock:
            return [r for r in self.log if match in r["path"] and (fault is None or r["fault"] == fault)]

    def _fault_for(self, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.match in path and (fault.times is None or fault.served < fault.times):
                    fault.served += 1
                    return fault
        return None

    # ---- answering ---------------------------------------------------------------------------------------------
    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        fault = self._fault_for(h.path)
        with self.lock:
            self.log.append({"path": h.path, "fault": fault.kind if fault else None, "time": time.monotonic()})
        try:
            if fault is None:
                self._answer(h, *self._recorded(h, body))
            else:
                self._inject(h, fault)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _recorded(self, h: BaseHTTPRequestHandler, body: bytes) -> tuple[int, dict, bytes]:
        path = h.path.split("?")[0]
        if path in self.files:
            ctype, content = self.files[path]
            return 200, {"Content-Type": ctype}, content
        key = request_key(h.command, self.url + h.path, dict(h.headers), body)
        return self.routes.get(key, (404, {"Content-Type": "text/plain"}, f"not recorded: {h.path}".encode()))

    def _answer(self, h: BaseHTTPRequestHandler, status: int, headers: dict, content: bytes) -> None:
        h.send_response(status)
        for k, v in headers.items():
            if k.lower() not in ("content-length", "transfer-encoding", "connection"):
                h.send_header(k, v)
        h.send_header("Content-Length", str(len(content)))
        h.end_headers()
        h.wfile.write(content)

    def _inject(self, h: BaseHTTPRequestHandler, f: Fault) -> None:
        if f.kind == "status":
            headers = {"Retry-After": f.retry_after} if f.retry_after is not None else {}
            self._answer(h, f.status, headers, b"<html><body>error</body></html>")
        elif f.kind == "challenge":
            self._answer(h, *CHALLENGES[f.challenge])
        elif f.kind == "maintenance":
            self._answer(h, 200, {"Content-Type": "text/html"}, MAINTENANCE_PAGE)
        elif f.kind == "wrong-type":  # an HTML error page where JSON (or a document) was asked for
            self._answer(h, 200, {"Content-Type": "text/html"}, b"<html><body><h1>Bad Gateway</h1></body></html>")
        elif f.kind == "oversized":
            self._answer(h, 200, {"Content-Type": "application/octet-stream"}, b"x" * f.size)
        elif f.kind == "reset":  # close without an answer: the client sees a connection reset
            h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            h.close_connection = True
        elif f.kind == "truncate":  # promise more bytes than sent, then close
            h.send_response(200)
            h.send_header("Content-Type", "text/html")
            h.send_header("Content-Length", "100000")
            h.end_headers()
            h.wfile.write(b"<html><body><p>cut")
            h.close_connection = True
        elif f.kind == "drip":  # headers at once, then one byte per interval: only a deadline ends it
            h.send_response(200)
            h.send_header("Content-Type", "text/html")
            h.send_header("Content-Length", "100000")
            h.end_headers()
            for _ in range(100000):
                if self.stopping.wait(f.interval):
                    break
                h.wfile.write(b" ")
                h.wfile.flush()
            h.close_connection = True
        else:
            raise ValueError(f"unknown fault {f.kind!r}")

    def close(self) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
