"""A throwaway HTTP server on 127.0.0.1 for fetch tests: `with serve(Handler) as base_url: ...`."""

import contextlib
import http.server
import threading


@contextlib.contextmanager
def serve(handler: type[http.server.BaseHTTPRequestHandler]):
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
