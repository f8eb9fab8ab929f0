"""curate new NAME — scaffold a builder folder: builder, options, card template, sample fixtures, test."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("new", help="scaffold a new dataset builder folder")
    p.add_argument("name", help="builder name, e.g. my-corpus (the folder is my_corpus)")
    p.add_argument("--path", type=Path, default=None,
                   help="folder to create it in (default: the builders package; elsewhere, register it with "
                        "CURATE_EXTRA_BUILDERS=<package> and PYTHONPATH=<path>)")
    p.set_defaults(func=run)


def _builders_root() -> Path:
    """The folder the registry scans for builders (`curate/builders/`)."""
    import curate.builders

    return Path(curate.builders.__path__[0])


def run(args: argparse.Namespace) -> int:
    from curate.errors import OptionError
    from curate.registry import all_builders
    from curate.scaffold import scaffold

    if args.name in all_builders():
        raise OptionError(f"a builder named {args.name!r} is already registered")
    default_root = _builders_root()
    root = args.path if args.path is not None else default_root
    files = scaffold(args.name, root)
    folder = files[0].parent
    print(f"created {folder}:")
    for f in files:
        print(f"  {f.relative_to(folder)}")
    package = folder.name
    if root.resolve() != default_root.resolve():
        print(f"register it: export CURATE_EXTRA_BUILDERS={package} PYTHONPATH={root.resolve()}")
    print(f"next: fill {folder / 'sample'} (see its README.md), then "
          f"curate build {args.name} --sample --out /tmp/{args.name}")
    return 0
