"""curate build NAME — build a dataset into Arrow shards, a manifest and a dataset card."""

from __future__ import annotations

import argparse
import os
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    """Generic flags only, one argument group per concern: a new generic flag goes into its group here (and
    into `BuildOptions`); a builder's own flags come from its `Options` dataclass (curate/options.py)."""
    from curate.checks import slurm_time
    from curate.fetch.settings import add_fetch_arguments

    p = sub.add_parser("build", help="build a dataset (builder-specific options: curate info NAME)", add_help=False,
                       epilog="Builder flags (e.g. --languages) follow the generic ones: `curate build NAME --help` "
                              "lists them; `curate info NAME` gives their types, defaults and valid values.")
    p.add_argument("name", nargs="?", help="builder name, e.g. maltese-etymology")
    p.add_argument("-h", "--help", action="store_true", help="show this help (with NAME: the builder's flags too)")

    what = p.add_argument_group("what to build")
    what.add_argument("--config", action="append", dest="configs", metavar="C", help="config to build (repeatable)")
    what.add_argument("--out", type=Path, help="output folder (required)")
    what.add_argument("--sample", action="store_true", help="build from the bundled real fixtures")
    what.add_argument("--max-examples", type=int, default=None, help="at most N rows per split")
    what.add_argument("--overwrite", action="store_true", help="rebuild even if a complete output exists")

    inputs = p.add_argument_group("inputs and network")
    inputs.add_argument("--offline", action="store_true", help="never touch the network; serve requests from the cache")
    inputs.add_argument("--cache-dir", type=Path, default=None, help="HTTP/download cache (default ~/.cache/curate)")
    inputs.add_argument("--manual-dir", type=Path, default=None, help="folder holding manually downloaded files")
    add_fetch_arguments(inputs)  # --endpoint KEY=URL and the fetcher flags (--retries, --max-bytes, ...)

    run_on = p.add_argument_group("execution")
    run_on.add_argument("--workers", type=int, default=1, help="work units built concurrently")
    run_on.add_argument("--executor", choices=("local", "slurm", "ray"), default="local")
    run_on.add_argument("--ray-address", default=None, metavar="ADDRESS",
                        help="with --executor ray: join this cluster (host:port; default $RAY_ADDRESS, else a "
                             "private one)")
    from curate.cluster import memory_gb
    from curate.settings import SlurmSettings

    run_on.add_argument("--slurm-partition", default=os.environ.get("CURATE_SLURM_PARTITION", SlurmSettings.partition))
    run_on.add_argument("--slurm-time", type=slurm_time, default=SlurmSettings.time, help="sbatch --time of each job")
    run_on.add_argument("--mem-per-cpu-gb", type=memory_gb, default=SlurmSettings.mem_per_cpu_gb, metavar="GB",
                        help="memory per work-unit task on Slurm (--mem-per-cpu) and Ray (memory resource); default 2")
    run_on.add_argument("--no-progress", action="store_true",
                        help="no progress output (default: bars on a terminal, plain lines otherwise)")
    run_on.add_argument("--verbose", action="store_true", help="show datatrove's per-task logs")

    output = p.add_argument_group("output")
    output.add_argument("--format", choices=("arrow", "parquet"), default="arrow",
                        help="shard format: arrow (load_from_disk layout) or parquet (polars, DuckDB, load_dataset)")
    output.add_argument("--max-shard-size", default=None, metavar="SIZE",
                        help="close a shard once it reaches SIZE, e.g. 500MB or 1GiB (default: the builder's, "
                             "256 MiB)")
    output.add_argument("--durable", action="store_true",
                        help="fsync every file and folder written (survives power loss; slower)")

    modes = p.add_argument_group("other modes")
    modes.add_argument("--download-only", action="store_true",
                       help="fill the cache (declared files checksum-verified) and list work units; build nothing")
    modes.add_argument("--register-checksums", action="store_true",
                       help="download the declared files and write curate/builders/<name>/checksums.tsv (tfds style)")
    p.set_defaults(func=run, accepts_extra=True, build_parser=p)


def _help(args: argparse.Namespace) -> int:
    """Generic help, then the builder's own flags as its `Options` dataclass declares them."""
    from curate.options import add_arguments
    from curate.registry import get_builder

    args.build_parser.print_help()
    if args.name:
        builder = get_builder(args.name)
        flags = argparse.ArgumentParser(prog=f"curate build {builder.name}", add_help=False)
        group = flags.add_argument_group(f"{builder.name} flags (its Options dataclass)")
        add_arguments(group, builder.Options)
        formatter = flags._get_formatter()
        formatter.start_section(group.title)
        formatter.add_arguments(group._group_actions)
        formatter.end_section()
        print("\n" + formatter.format_help().strip() if group._group_actions else f"\n{builder.name}: no own flags")
    return 0


def _builder_options(builder, extra: list[str], build_parser: argparse.ArgumentParser):
    """The builder's own flags (its `Options` dataclass), typed and checked before anything is written."""
    from curate.errors import BuilderDefinitionError
    from curate.options import flag_of, option_fields, parse_args

    # a builder flag named like a generic one would never reach the builder: the generic parser takes it first
    clash = sorted({flag_of(f) for f, _ in option_fields(builder.Options)} & set(build_parser._option_string_actions))
    if clash:
        raise BuilderDefinitionError(f"{builder.name}: its option(s) {', '.join(clash)} clash with curate build's "
                                     "own flags; rename the field(s) of its Options dataclass")
    return parse_args(builder.Options, extra, prog=f"curate build {builder.name}")


def run(args: argparse.Namespace) -> int:
    from curate.build import build
    from curate.errors import OptionError
    from curate.manifest import MANIFEST, Manifest
    from curate.registry import get_builder
    from curate.settings import BuildOptions, RaySettings, SlurmSettings

    if args.help:
        return _help(args)
    if args.name is None or args.out is None:
        raise OptionError("give the builder name and --out: curate build NAME --out DIR (curate list shows names)")

    if args.ray_address and args.executor != "ray":
        from curate.errors import CurateError

        raise CurateError("--ray-address needs --executor ray")
    from curate.shard_formats import parse_size

    max_shard_bytes = parse_size(args.max_shard_size) if args.max_shard_size else None
    builder = get_builder(args.name)
    for c in args.configs or []:
        builder.config(c)  # unknown config -> error listing the valid ones
    opts = BuildOptions(
        out_dir=args.out, sample=args.sample, offline=args.offline, cache_dir=args.cache_dir,
        manual_dir=args.manual_dir, workers=args.workers, executor=args.executor, max_examples=args.max_examples,
        overwrite=args.overwrite, options=_builder_options(builder, args.extra, args.build_parser),
        slurm=SlurmSettings(partition=args.slurm_partition, time=args.slurm_time, mem_per_cpu_gb=args.mem_per_cpu_gb,
                            venv_path=os.environ.get("VIRTUAL_ENV")),
        ray=RaySettings(mem_per_cpu_gb=args.mem_per_cpu_gb),
        ray_address=args.ray_address, format=args.format, max_shard_bytes=max_shard_bytes,
        progress=False if args.no_progress else None, verbose=args.verbose, durable=args.durable,
    )
    from curate.fetch.settings import endpoint_overrides, fetch_settings

    opts.endpoints = endpoint_overrides(builder.name, builder.endpoints, args.endpoint)
    opts.fetch = fetch_settings(args.retries, args.timeout, args.deadline, args.max_bytes, args.rate_limit,
                                max_download_bytes=args.max_download_bytes)
    if args.download_only or args.register_checksums:
        from curate.downloads import download_only, fetch_declared
        from curate.run import make_context

        if args.download_only:
            summary = download_only(builder, args.configs, opts, register=args.register_checksums)
            units = ", ".join(f"{c}={n:,}" for c, n in summary["units"].items())
            print(f"downloaded and verified {summary['files']} file(s), {summary['bytes']:,} bytes; "
                  f"work units: {units}; fetch: {summary['fetch'] or 'none'}; nothing built")
            return 0
        config = builder.config(args.configs[0] if args.configs else None)
        fetch_declared(builder, make_context(builder, config, opts), register=True)
    result = build(builder, args.configs, opts)
    if result["status"] == "submitted":
        print(f"submitted to Slurm; logs in {result['logging_dir']}; rerun the same command when the jobs finish")
        return 0
    # `build()` answers in JSON (the scaffolded tests of every builder index `result["manifest"]["configs"]`):
    # typed again here, at the command's boundary
    manifest = Manifest.from_json(result["manifest"], Path(args.out) / MANIFEST)
    if result["status"] == "exists":
        print(f"{args.out} already holds a complete build of {builder.name} "
              f"({', '.join(manifest.configs)}); use --overwrite to rebuild")
        return 0
    print(f"built {builder.name} {builder.version} into {args.out} in {manifest.wall_time_s:.1f}s")
    for name, entry in manifest.sorted_configs().items():
        rows = ", ".join(f"{s}={i['rows']:,}" for s, i in entry["splits"].items())
        skipped = ", ".join(f"{k}={v:,}" for k, v in entry["skipped"].items()) or "none"
        print(f"  {name}: {rows}; skipped: {skipped}")
        fetch = ", ".join(f"{k}={v:,}" for k, v in sorted(entry.get("fetch", {}).items()) if v)
        if fetch:
            print(f"    fetch: {fetch}")
        counts = ", ".join(f"{k}={v:,}" for k, v in entry.get("counts", {}).items())
        if counts:
            print(f"    counts (nothing left out): {counts}")
    print(f"card: {Path(args.out) / 'README.md'}; manifest: {Path(args.out) / MANIFEST}")
    return 0
