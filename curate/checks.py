"""Checks of the values every `curate build` (and the other commands) take, made before anything is written.

`checked_build_options` is the first thing `build()` does: the generic values (`--workers`, `--max-examples`,
`--out`, `--cache-dir`, `--manual-dir`) and the builder's typed options (`curate.options`). `at_least` and
`slurm_time` are argparse `type=`s, so a bad number or time limit is refused with the flag's name.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from curate.errors import OptionError
from curate.options import resolve


def checked_build_options(builder: Any, opts: Any) -> Any:
    """`opts` (a `BuildOptions`) with every value checked and the builder's options typed; raises
    `OptionError` before anything is written, so a corrected command needs no --overwrite."""
    if not isinstance(opts.workers, int) or opts.workers < 1:
        raise OptionError(f"--workers must be at least 1, got {opts.workers}")
    if opts.max_examples is not None and (not isinstance(opts.max_examples, int) or opts.max_examples < 0):
        raise OptionError(f"--max-examples must be 0 or more (left out: all rows), got {opts.max_examples}")
    out = Path(opts.out_dir)
    if out.exists() and not out.is_dir():
        raise OptionError(f"--out {out} is a file, not a folder")
    if any(p.exists() and not p.is_dir() for p in out.parents):
        raise OptionError(f"--out {out}: a parent of it is a file, not a folder")
    if opts.cache_dir is not None and Path(opts.cache_dir).exists() and not Path(opts.cache_dir).is_dir():
        raise OptionError(f"--cache-dir {opts.cache_dir} is a file, not a folder")
    if opts.manual_dir is not None and not Path(opts.manual_dir).is_dir():
        raise OptionError(f"--manual-dir {opts.manual_dir}: no such folder")
    return dataclasses.replace(opts, options=resolve(builder.Options, opts.options))


def at_least(minimum: int) -> Callable[[str], int]:
    """An argparse `type=` for integer flags of the other commands: `--jobs 0` is refused with the reason."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    parse.__name__ = f"integer >= {minimum}"  # argparse names the type in some messages
    return parse


def slurm_time(text: str) -> str:
    """An argparse `type=` for --slurm-time: the forms sbatch --time accepts (M, M:S, H:M:S, D-H, D-H:M, D-H:M:S)."""
    if not re.fullmatch(r"\d+(:\d{1,2}){0,2}|\d+-\d{1,2}(:\d{1,2}){0,2}", text.strip()):
        raise argparse.ArgumentTypeError(f"expected a Slurm time limit such as 24:00:00 or 2-00:00:00, got {text!r}")
    return text.strip()
