"""Record live HTTP exchanges into a cassette folder, for offline tests and `curate build --sample`.

For maintainers with network access. Every exchange goes through a real `CachedFetcher` (rate limit, retries,
User-Agent) whose transport is a `RecordingAdapter`, so the cassette holds exactly what the fetcher saw,
including 429s, redirects and challenge pages, in order. A fresh temporary cache is used so nothing is skipped.

    # a few URLs, with the content-changing headers the builder sends
    python scripts/record_fixtures.py curate/builders/eurlex_sum/sample/cassette \\
        --url 'https://publications.europa.eu/resource/celex/32004R0261' \\
        --header 'Accept: application/xhtml+xml, text/html;q=0.9' --header 'Accept-Language: eng'
    # a list of requests, one JSON object per line: {"method", "url", "params", "headers", "data", "note"}
    python scripts/record_fixtures.py DIR --requests requests.jsonl
    # whatever a builder fetches for its first N work units (default folder: the builder's sample/cassette)
    python scripts/record_fixtures.py --builder eurlex-sum --config en --units 3

Only `Accept` and `Accept-Language` of the request are written (never Authorization or cookies); response
bodies are stored decoded under `bodies/<sha256 prefix><ext>` (identical bodies are stored once) and
`index.jsonl` is appended to, so rerunning adds exchanges; pass --overwrite to start the cassette afresh.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from curate.fetch import CONTENT_HEADERS, DROPPED_RESPONSE_HEADERS, CachedFetcher
from curate.io import atomic_write

EXTENSIONS = {"html": ".html", "xhtml": ".xhtml", "json": ".json", "xml": ".xml", "sparql": ".json",
              "plain": ".txt", "csv": ".csv", "tab-separated": ".tsv"}


class CassetteRecorder:
    """Appends exchanges to `folder/index.jsonl`; bodies are content-addressed files under `folder/bodies/`."""

    def __init__(self, folder: str | Path, note: str = "", overwrite: bool = False):
        self.folder = Path(folder)
        self.note = note
        self._lock = threading.Lock()
        if overwrite and self.folder.exists():
            shutil.rmtree(self.folder)
        (self.folder / "bodies").mkdir(parents=True, exist_ok=True)
        self.recorded = 0

    def record(self, request: requests.PreparedRequest, response: requests.Response) -> dict[str, Any]:
        body = response.content
        body_ref = None
        if body:
            content_type = response.headers.get("Content-Type", "").lower()
            ext = next((e for k, e in EXTENSIONS.items() if k in content_type), ".bin")
            body_ref = f"bodies/{hashlib.sha256(body).hexdigest()[:20]}{ext}"
            if not (self.folder / body_ref).exists():
                atomic_write(self.folder / body_ref, body)
        data = request.body
        if isinstance(data, bytes):
            data = data.decode("utf-8")  # form and SPARQL bodies are text; a binary body would need a new format
        line = {
            "method": request.method,
            "url": request.url,  # already carries the encoded params
            "params": None,
            "request_headers": {k: request.headers[k] for k in CONTENT_HEADERS if k in request.headers},
            "data": data,
            "status": response.status_code,
            "headers": {k: v for k, v in response.headers.items() if k.lower() not in DROPPED_RESPONSE_HEADERS},
            "body": body_ref,
            "note": self.note,
        }
        with self._lock, open(self.folder / "index.jsonl", "a", encoding="utf-8") as f:
            f.write(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n")
            self.recorded += 1
        return line


class RecordingAdapter(HTTPAdapter):
    """The ordinary requests transport, writing every exchange (each redirect hop too) to a recorder."""

    def __init__(self, recorder: CassetteRecorder, **kwargs: Any):
        super().__init__(**kwargs)
        self.recorder = recorder

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        response = super().send(request, **kwargs)
        self.recorder.record(request, response)
        return response


def recording_fetcher(recorder: CassetteRecorder, cache_dir: str | Path, **options: Any) -> CachedFetcher:
    """A `CachedFetcher` that fetches live and records; `cache_dir` should be empty so nothing is skipped."""
    return CachedFetcher(cache_dir, transport=RecordingAdapter(recorder), **options)


def parse_header(text: str) -> tuple[str, str]:
    name, sep, value = text.partition(":")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected 'Name: value', got {text!r}")
    return name.strip(), value.strip()


def record_requests(fetcher: CachedFetcher, requests_list: list[dict]) -> None:
    from curate.errors import CurateError

    for spec in requests_list:
        try:
            fetcher.request(spec.get("method", "GET"), spec["url"], params=spec.get("params"),
                            headers=spec.get("headers"), data=spec.get("data"))
        except CurateError as exc:  # the failing exchange is recorded all the same: that is often the point
            print(f"recorded an error answer: {exc}", file=sys.stderr)


def record_builder(fetcher: CachedFetcher, name: str, config: str | None, units: int, out: Path) -> None:
    from curate.builder import BuildContext
    from curate.registry import get_builder

    builder = get_builder(name)
    ctx = BuildContext(config=builder.config(config), out_dir=out, cache_dir=Path(fetcher.cache_dir),
                       options=builder.Options())
    ctx._fetcher = fetcher
    ctx.prepared = builder.prepare(ctx)
    for unit in builder.work_units(ctx)[:units]:
        for _ in builder.generate(unit, ctx):
            pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cassette", nargs="?", help="cassette folder (default with --builder: its sample/cassette)")
    parser.add_argument("--url", action="append", default=[], help="GET this URL (repeatable)")
    parser.add_argument("--header", action="append", default=[], type=parse_header, help="'Name: value' for --url")
    parser.add_argument("--requests", type=Path, help="JSONL file of requests to record")
    parser.add_argument("--builder", help="record what this builder fetches")
    parser.add_argument("--config", help="builder config")
    parser.add_argument("--units", type=int, default=1, help="work units of the builder to run")
    parser.add_argument("--rate-limit", type=float, default=1.0, help="requests per second per host")
    parser.add_argument("--note", default="", help="note stored with each exchange")
    parser.add_argument("--overwrite", action="store_true", help="delete the cassette folder first")
    args = parser.parse_args(argv)

    folder = args.cassette
    if folder is None and args.builder:
        from curate.registry import get_builder

        folder = get_builder(args.builder).sample_dir() / "cassette"
    if folder is None or not (args.url or args.requests or args.builder):
        parser.error("give a cassette folder and --url, --requests or --builder")
    recorder = CassetteRecorder(folder, note=args.note, overwrite=args.overwrite)
    with tempfile.TemporaryDirectory(prefix="curate-record-") as tmp:
        fetcher = recording_fetcher(recorder, Path(tmp) / "cache", rate_limit=args.rate_limit)
        specs = [{"url": u, "headers": dict(args.header)} for u in args.url]
        if args.requests:
            specs += [json.loads(line) for line in args.requests.read_text(encoding="utf-8").splitlines()
                      if line.strip()]
        record_requests(fetcher, specs)
        if args.builder:
            record_builder(fetcher, args.builder, args.config, args.units, Path(tmp) / "out")
    print(f"recorded {recorder.recorded} exchanges into {recorder.folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
