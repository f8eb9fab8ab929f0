"""`curate` command line. Thin: each command is one module in `curate/commands/` (the Maltese
ones in `curate/maltese/commands/`) exposing `register(subparsers)`; this file only discovers them
and turns `CurateError` into a clean message."""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys

from curate import __version__
from curate.errors import CurateError


def build_parser() -> argparse.ArgumentParser:
    import curate.commands
    import curate.maltese.commands

    parser = argparse.ArgumentParser(prog="curate", description="Build cross-lingual NLP datasets.")
    parser.add_argument("--version", action="version", version=f"curate {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    packages = (curate.commands, curate.maltese.commands)
    found = sorted((info.name, f"{package.__name__}.{info.name}") for package in packages
                   for info in pkgutil.iter_modules(package.__path__))
    for _, module in found:  # by command name, wherever it lives
        importlib.import_module(module).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and not getattr(args, "accepts_extra", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.extra = extra
    try:
        return int(args.func(args) or 0)
    except CurateError as exc:
        print(f"curate {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as exc:
        from curate.extras import missing_extra

        missing = missing_extra(exc, f"curate {args.command}")  # torch without the maltese extra
        if missing is None:
            raise
        print(f"curate {args.command}: error: {missing}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader went away (`curate tag | head`): stop quietly, as Unix tools do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except OSError as exc:
        # disk full, permissions, a vanished mount: finished work is kept, so say how to carry on
        print(f"curate {args.command}: error: {exc}; fix the cause and rerun the same command to resume",
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"curate {args.command}: interrupted; rerun the same command to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
