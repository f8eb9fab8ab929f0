"""Peak memory of one large fetch: `get()` (body in memory) against `download()` (body streamed to disk).

    .venv/bin/python scripts/bench_fetch_memory.py [--mib 200] [--compare 64 256] [--runs 3] [--cache-root DIR]

A local HTTP server on 127.0.0.1 sends the bodies (no network). Every fetch runs in a fresh spawned child
process with its own cache folder, so peaks do not mix; memory is the growth of `ru_maxrss` over the fetch.
All cache folders live under one temp folder in `--cache-root` (default: the system temp folder), removed
at the end.

1. `get()` of `--mib` MiB (issue 11 item 9; `--mib 0` skips it): the body is streamed into one buffer and
   cached, so the peak RSS growth is about one copy of the body (ratio 1.0). Then the same fetch with
   `max_bytes` a quarter of the body: refused from the declared Content-Length before reading, or (no
   Content-Length) after reading max_bytes, so the peak stays at or below the cap.
2. `get()` (its `max_bytes` raised to the body size, so it is allowed) against `download()` for each
   `--compare` size, interleaved (the order alternates run to run), `--runs` runs each. Printed: medians of
   the peak RSS growth and their ratio (get / download), the throughput of each call through the loopback
   server (HTTP over 127.0.0.1 + sha256 + writing the cache object; not a network figure), and the time
   `download()` takes on a cache hit, which re-checks the object by streaming it through sha256: right
   after the download (page cache warm) and again after `posix_fadvise(DONTNEED)` asked the kernel to drop
   the object's pages (a cold read, where the kernel honours it).
Before each child of part 2 the parent calls `os.sync()`, so one child's write-back is not timed in the
next. Each child first fetches a 64 KiB body the same way, so modules imported on first use and the session are in place and
the growth measured is what the large body costs.
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import os
import queue
import resource
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MiB = 1 << 20
WARMUP = 64 * 1024
FILL = b"x"


def serve() -> ThreadingHTTPServer:
    """`/body/<n>` sends n bytes with Content-Length, `/no-length/<n>` without (ends when the connection closes)."""
    chunk = FILL * MiB

    class Big(BaseHTTPRequestHandler):
        def do_GET(self):
            kind, _, size_text = self.path.strip("/").partition("/")
            size = int(size_text)
            self.send_response(200)
            if kind != "no-length":  # else the body ends when the connection closes (HTTP/1.0)
                self.send_header("Content-Length", str(size))
            self.end_headers()
            try:
                left = size
                while left:
                    part = chunk[:left] if left < len(chunk) else chunk
                    self.wfile.write(part)
                    left -= len(part)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client refused the body

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Big)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def body_sha256(size: int) -> str:
    digest = hashlib.sha256()
    chunk = FILL * MiB
    left = size
    while left:
        part = chunk[:left] if left < len(chunk) else chunk
        digest.update(part)
        left -= len(part)
    return digest.hexdigest()


def maxrss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB


def resident_bytes(path: os.PathLike) -> int | None:
    """How much of `path` the page cache holds (util-linux `fincore`; None without it): the proof that
    the "after DONTNEED" hit check really read from disk."""
    if shutil.which("fincore") is None:
        return None
    done = subprocess.run(["fincore", "--bytes", "--noheadings", "--output", "RES", str(path)],
                          capture_output=True, text=True)
    return int(done.stdout.strip()) if done.returncode == 0 and done.stdout.strip().isdigit() else None


def hit_seconds(fetcher, url: str, sha256: str, size: int) -> float:
    hits = fetcher.stats["cache_hits"]
    start = time.perf_counter()
    fetcher.download(url, sha256=sha256, size=size)
    seconds = time.perf_counter() - start
    if fetcher.stats["cache_hits"] != hits + 1:  # a refetch would time the network path, not the check
        raise RuntimeError(f"download of {url} was not a cache hit the second time: {dict(fetcher.stats)}")
    return seconds


def child(base: str, path: str, mode: str, size: int, max_bytes: int | None, sha256: str | None,
          cache_root: str, out: multiprocessing.Queue) -> None:
    from curate.fetch import BodyTooLargeError, CachedFetcher

    with tempfile.TemporaryDirectory(dir=cache_root) as cache:
        fetcher = CachedFetcher(cache, rate_limit=None, retries=0, max_bytes=max_bytes)
        # warm-up: modules imported on first use and the session cost nothing in the figure below
        warm = f"{base}/body/{WARMUP}"
        fetcher.download(warm) if mode == "download" else fetcher.get(warm)
        url = f"{base}/{path}/{size}"
        before = maxrss()
        start = time.perf_counter()
        try:
            if mode == "download":
                got = fetcher.download(url, sha256=sha256, size=size).stat().st_size
            else:
                got = len(fetcher.get(url).content)
        except BodyTooLargeError:
            got = -1
        seconds = time.perf_counter() - start
        peak = maxrss()
        result = {"mode": mode, "size": size, "got": got, "growth": peak - before, "peak": peak,
                  "seconds": seconds}
        if mode == "download" and got == size:
            result["verify_warm"] = hit_seconds(fetcher, url, sha256, size)
            obj = fetcher.download(url, sha256=sha256, size=size)
            fd = os.open(obj, os.O_RDONLY)
            try:  # pages must be clean before the kernel can drop them
                os.fsync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)
            result["resident"] = resident_bytes(obj)
            result["verify_cold"] = hit_seconds(fetcher, url, sha256, size)
    out.put(result)


def measure(base: str, path: str, mode: str, size: int, max_bytes: int | None, sha256: str | None,
            cache_root: str) -> dict:
    ctx = multiprocessing.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=child, args=(base, path, mode, size, max_bytes, sha256, cache_root, q))
    p.start()
    try:
        while True:
            try:
                result = q.get(timeout=5)
                break
            except queue.Empty:
                if not p.is_alive():  # a child that died never answers: say so instead of waiting forever
                    raise RuntimeError(f"{mode} of {base}/{path}/{size} failed in its child "
                                       f"(exit code {p.exitcode})") from None
    finally:
        p.join()
    return result


def mib(n: float) -> str:
    return f"{n / MiB:.2f}"


def section_get_caps(base: str, size: int, cache_root: str) -> None:
    r = measure(base, "body", "get", size, None, None, cache_root)
    print(f"body {size / MiB:.0f} MiB fetched by get() ({r['got']} bytes): peak RSS growth "
          f"{r['growth'] / MiB:.0f} MiB, ratio {r['growth'] / size:.2f} copies of the body")
    cap = size // 4
    for path, how in (("body", "Content-Length declared"), ("no-length", "no Content-Length: counted")):
        r = measure(base, path, "get", size, cap, None, cache_root)
        print(f"max_bytes {cap / MiB:.0f} MiB, {how}: {'refused' if r['got'] == -1 else 'accepted'}, peak RSS "
              f"growth {r['growth'] / MiB:.0f} MiB, ratio to the cap {r['growth'] / cap:.2f}")


def section_compare(base: str, sizes: list[int], runs: int, cache_root: str) -> None:
    digests = {size: body_sha256(size) for size in sizes}
    results: dict[tuple[int, str], list[dict]] = {(s, m): [] for s in sizes for m in ("get", "download")}
    for run in range(runs):
        order = ("get", "download") if run % 2 == 0 else ("download", "get")  # neither always goes first
        for size in sizes:
            for mode in order:
                os.sync()  # the previous child's writes are not flushed during this one's timing
                r = measure(base, "body", mode, size, size if mode == "get" else None,
                            digests[size] if mode == "download" else None, cache_root)
                if r["got"] != size:
                    raise RuntimeError(f"{mode} of {size} bytes returned {r['got']} bytes")
                results[size, mode].append(r)
    print(f"\nget() vs download(), {runs} interleaved runs each, medians; throughput through a loopback "
          "server on 127.0.0.1 (HTTP + sha256 + cache write), not a network figure")
    print("| body | get() RSS growth | download() RSS growth | growth ratio get/download | peak RSS get() / "
          "download() (ratio) | get() MiB/s | download() MiB/s | hit check, warm | hit check, after DONTNEED |")
    print("|---|---|---|---|---|---|---|---|---|")
    for size in sizes:
        g, d = results[size, "get"], results[size, "download"]

        def med(rows: list[dict], key: str) -> float:
            return statistics.median(r[key] for r in rows)

        gg, dg = med(g, "growth"), med(d, "growth")
        # ru_maxrss counts KiB: a growth of 0 means under 1 KiB, so the ratio is only bounded from below
        ratio = f"{gg / dg:.0f}x" if dg > 0 else f"> {gg / 1024:.0f}x (download growth < 1 KiB)"
        g_rate = statistics.median(size / MiB / r["seconds"] for r in g)
        d_rate = statistics.median(size / MiB / r["seconds"] for r in d)
        warm, cold = med(d, "verify_warm"), med(d, "verify_cold")
        gp, dp = med(g, "peak"), med(d, "peak")  # whole child process: imports included, never 0
        print(f"| {size / MiB:.0f} MiB | {mib(gg)} MiB | {mib(dg)} MiB | {ratio} | {mib(gp)} / "
              f"{mib(dp)} MiB ({gp / dp:.1f}x) | {g_rate:.0f} | {d_rate:.0f} | {warm:.3f} s ({size / MiB / warm:.0f} MiB/s) "
              f"| {cold:.3f} s ({size / MiB / cold:.0f} MiB/s) |")
    print("\nper run (MiB growth; MiB/s; hit check s warm/cold; page-cache bytes of the object after DONTNEED, by fincore):")
    for size in sizes:
        for mode in ("get", "download"):
            rows = results[size, mode]
            line = (f"  {size / MiB:.0f} MiB {mode:8} growth {[round(r['growth'] / MiB, 2) for r in rows]} "
                    f"rate {[round(size / MiB / r['seconds']) for r in rows]}")
            if mode == "download":
                line += (f" hit {[round(r['verify_warm'], 3) for r in rows]}"
                         f"/{[round(r['verify_cold'], 3) for r in rows]}"
                         f" resident before the cold check {[r['resident'] for r in rows]} bytes")
            print(line)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mib", type=int, default=200, help="body size of the get()/max_bytes section (0: skip it)")
    ap.add_argument("--compare", type=int, nargs="*", default=[64, 256], metavar="MIB",
                    help="body sizes for get() vs download() (none: skip)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--cache-root", default=None, help="where the per-child cache folders go (removed after)")
    args = ap.parse_args()
    httpd = serve()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    root = tempfile.mkdtemp(prefix="bench-fetch-", dir=args.cache_root)
    started, load = time.perf_counter(), os.getloadavg()[0]
    try:
        if args.mib:
            section_get_caps(base, args.mib * MiB, root)
        if args.compare:
            section_compare(base, [m * MiB for m in args.compare], args.runs, root)
    finally:
        httpd.shutdown()
        shutil.rmtree(root, ignore_errors=True)  # children remove their own; this catches a killed one's
    print(f"\n{time.perf_counter() - started:.0f} s; 1-min load average {load:.2f} at the start, "
          f"{os.getloadavg()[0]:.2f} at the end; {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
