"""curate export NAME DIR --format F [format flags] — hand a built dataset to the tools of its field.

Generic: the builder declares its formats (`curate/formats/exporter.py`), this command finds the one
asked for, parses that format's own flags and writes its text atomically (or to standard output).
`curate export NAME --help` lists the builder's formats; `curate export NAME DIR --format F --help`
shows the format's flags.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", add_help=False, help="export a built dataset in a format its builder offers "
                       "(clef-queries: TREC topics, ir_datasets-style jsonl, qrels)")
    p.add_argument("dataset", nargs="?", help="builder name, e.g. clef-queries")
    p.add_argument("dir", nargs="?", help="the build folder (curate build --out DIR)")
    p.add_argument("--format", help="one of the builder's export formats (clef-queries: trec, jsonl, qrels)")
    p.add_argument("-o", "--output", help="file to write (default: standard output)")
    p.add_argument("-h", "--help", action="store_true", help="show this help (with NAME and --format: the "
                   "format's own flags)")
    p.set_defaults(func=run, accepts_extra=True, export_parser=p)


def _format_parser(name: str, exporter) -> argparse.ArgumentParser:
    fp = argparse.ArgumentParser(prog=f"curate export {name} DIR --format {exporter.format}",
                                 description=exporter.help)
    exporter.add_arguments(fp)
    return fp


def run(args: argparse.Namespace) -> int:
    from curate.errors import CurateError, UnknownNameError
    from curate.formats.exporter import exporters_of
    from curate.io import write_text_atomic
    from curate.registry import get_builder

    if args.dataset is None:
        if args.help:
            args.export_parser.print_help()
            return 0
        raise CurateError("give the builder name: curate export NAME DIR --format F")
    builder = get_builder(args.dataset)
    exporters = exporters_of(builder)
    if not exporters:
        raise CurateError(f"{args.dataset} declares no export formats")
    fmt = args.format or next(iter(exporters))
    if fmt not in exporters:
        raise UnknownNameError(f"{args.dataset} export format", fmt, list(exporters))
    parser = _format_parser(args.dataset, exporters[fmt])
    if args.help:
        args.export_parser.print_help()
        print(f"\n{args.dataset} formats: " + "; ".join(f"{e.format}: {e.help}" for e in exporters.values()))
        print(f"\nflags of --format {fmt}:\n" + "\n".join(parser.format_help().splitlines()[2:]))
        return 0
    if args.dir is None:
        raise CurateError("give the build folder: curate export NAME DIR --format F")
    # the folder's manifest, read as push and the card read it: a malformed one is named here rather than
    # surfacing as an odd error inside the exporter, and the build of another builder is refused. Without one
    # (a folder saved by hand) the exporter's own checks of the config folders apply.
    from curate.manifest import MANIFEST, Manifest

    manifest = Manifest.load(args.dir)
    if manifest is not None and manifest.builder != builder.name:
        raise CurateError(f"{Path(args.dir) / MANIFEST}: {args.dir} holds a build of {manifest.builder!r}, "
                          f"not of {builder.name!r}")
    options = parser.parse_args(args.extra)
    options.format = fmt
    text = exporters[fmt].export(Path(args.dir), options)
    if not args.output:
        sys.stdout.write(text)
        return 0
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(Path(args.output), text)
    print(f"wrote {args.output}", file=sys.stderr)
    return 0
