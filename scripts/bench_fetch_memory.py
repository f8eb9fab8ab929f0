"""Peak memory of one large fetch: how many bytes of RSS a body of N MiB costs (issue 11 item 9).

    .venv/bin/python scripts/bench_fetch_memory.py [--mib 200]

A local server sends N MiB; `CachedFetcher.get` streams it into one buffer and caches it. Printed: the
body size, the peak RSS growth during the fetch (ru_maxrss, measured in a fresh child process so earlier
allocations do not hide it), and their ratio (1.0 = one copy of the body in memory). Then the same fetch
with `max_bytes` a quarter of the body: refused from the declared Content-Length before reading, or
(no Content-Length) after reading max_bytes, so the peak stays at or below the cap.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def serve(size: int) -> ThreadingHTTPServer:
    chunk = b"x" * (1 << 20)

    class Big(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            if self.path != "/no-length":  # else the body ends when the connection closes (HTTP/1.0)
                self.send_header("Content-Length", str(size))
            self.end_headers()
            try:
                for _ in range(size // len(chunk)):
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client refused the body

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Big)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def child(url: str, max_bytes: int | None, out: multiprocessing.Queue) -> None:
    from curate.fetch import BodyTooLargeError, CachedFetcher

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    with tempfile.TemporaryDirectory() as cache:
        fetcher = CachedFetcher(cache, rate_limit=None, retries=0, max_bytes=max_bytes)
        try:
            got = len(fetcher.get(url).content)
        except BodyTooLargeError:
            got = -1
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    out.put((before, peak, got))


def measure(url: str, max_bytes: int | None) -> tuple[int, int, int]:
    ctx = multiprocessing.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=child, args=(url, max_bytes, q))
    p.start()
    result = q.get()
    p.join()
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mib", type=int, default=200)
    args = ap.parse_args()
    size = args.mib << 20
    httpd = serve(size)
    url = f"http://127.0.0.1:{httpd.server_address[1]}/big"
    before, peak, got = measure(url, None)
    print(f"body {size / 2**20:.0f} MiB fetched ({got} bytes): peak RSS growth {(peak - before) / 2**20:.0f} MiB, "
          f"ratio {(peak - before) / size:.2f} copies of the body")
    cap = size // 4
    for path, how in (("/big", "Content-Length declared"), ("/no-length", "no Content-Length: counted")):
        before, peak, got = measure(url.replace("/big", path), cap)
        print(f"max_bytes {cap / 2**20:.0f} MiB, {how}: {'refused' if got == -1 else 'accepted'}, peak RSS "
              f"growth {(peak - before) / 2**20:.0f} MiB, ratio to the cap {(peak - before) / cap:.2f}")
    httpd.shutdown()


if __name__ == "__main__":
    main()
