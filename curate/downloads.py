"""`curate build NAME --download-only` and `--register-checksums` (tfds's flags).

A builder's *declared downloads* are its `Source`s that have a URL and a sha256 and are not manual,
plus every URL in `curate/builders/<name>/checksums.tsv`, plus whatever an optional `downloads(ctx)` method
returns (URLs of whole files). Expected size and sha256 come from `checksums.tsv` first, then from the
`Source`. API endpoints (a `Source` URL without a sha256) are not files and are not downloaded.

`--download-only` fetches every declared download through `CachedFetcher.download` (verified), then runs
each config's `prepare` and `work_units` so listings are cached too, and writes no shards, manifest or
card. `--register-checksums` downloads the declared files without expectations and (re)writes
`checksums.tsv` with what it got; a build then verifies against that file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from curate.builder import BuildContext, Builder
from curate.errors import CurateError
from curate.fetch.download import Checksum, checksum_of, read_checksums, write_checksums


def checksums_file(builder: Builder) -> Path:
    return builder.sample_dir().parent / "checksums.tsv"


def declared_downloads(builder: Builder, ctx: BuildContext) -> dict[str, Checksum | None]:
    """url → expected checksum (None: not registered yet)."""
    registered = read_checksums(checksums_file(builder))
    out: dict[str, Checksum | None] = {}
    for source in builder.sources:
        if source.url and source.sha256 and not source.manual:
            out[source.url] = registered.get(source.url) or Checksum(source.url, -1, source.sha256, "")
    extra = getattr(builder, "downloads", None)
    for url in (extra(ctx) if callable(extra) else []):
        out.setdefault(url, registered.get(url))
    for url, checksum in registered.items():
        out.setdefault(url, checksum)
    return dict(sorted(out.items()))


def fetch_declared(builder: Builder, ctx: BuildContext, register: bool = False, say: Any = print,
                   progress: bool | str | None = None) -> dict[str, Any]:
    """Download (and verify, unless registering) every declared file; with `register`, write checksums.tsv.
    Each file gets a line on stdout; `progress` (curate.progress) shows the step on stderr."""
    from curate.progress import Progress

    if ctx.sample:  # a --sample build reads bundled fixtures, never the declared files
        if register:
            raise CurateError("--register-checksums records the real downloads: run it without --sample")
        say("--sample: the build reads bundled fixtures; no declared file to download")
        return {"files": 0, "bytes": 0, "unverified": [], "checksums": None}
    wanted = declared_downloads(builder, ctx)
    got: dict[str, Checksum] = {}
    with Progress("downloading", total=len(wanted), unit="file", mode=progress) as bar:
        for k, (url, expected) in enumerate(wanted.items(), 1):
            if register or expected is None:
                path = ctx.fetcher.download(url)
            else:
                path = ctx.fetcher.download(url, sha256=expected.sha256,
                                            size=expected.size if expected.size >= 0 else None)
            got[url] = checksum_of(url, path)
            bar.update(1, bytes=bar.postfix.get("bytes", 0) + got[url].size)
            say(f"[{k}/{len(wanted)}] {'registered' if register else 'verified' if expected else 'unverified'} "
                f"{url} ({got[url].size:,} bytes)")
    target = checksums_file(builder)
    if register and got:
        write_checksums(target, got)
        say(f"wrote {len(got)} checksum(s) to {target}")
    unverified = sorted(u for u, e in wanted.items() if e is None and not register)
    return {"files": len(got), "bytes": sum(c.size for c in got.values()), "unverified": unverified,
            "checksums": str(target) if register and got else None}


def download_only(builder: Builder, config_names: list[str] | None, opts: Any, register: bool = False,
                  say: Any = print) -> dict[str, Any]:
    """Fill the cache for a later build (offline included) without building anything."""
    from curate.run import make_context

    names = list(dict.fromkeys(config_names or builder.default_configs or [c.name for c in builder.configs]))
    first = make_context(builder, builder.config(names[0]), opts)
    summary = fetch_declared(builder, first, register=register, say=say, progress=getattr(opts, "progress", None))
    units: dict[str, int] = {}
    for name in names:
        ctx = first if name == names[0] else make_context(builder, builder.config(name), opts)
        ctx._fetcher = first.fetcher  # one fetcher: one set of counters for the summary
        builder.prepare(ctx)
        units[name] = len(builder.work_units(ctx))
        say(f"{name}: {units[name]:,} work unit(s) listed")
    summary["units"] = units
    summary["fetch"] = dict(sorted(first.fetcher.stats.items()))
    return summary
