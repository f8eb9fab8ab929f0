"""What a builder offers `curate export`: named output formats, each with its own flags.

A builder declares its exporters as an `exporters` attribute (a sequence of `Exporter`) or, for a builder
that is a package, as `EXPORTERS` in its `export.py`; `curate export NAME DIR --format F` finds F there
and never needs to know the builder. Like ir_datasets' `export` command, the output is the text of one
file (topics, qrels) that retrieval tools read directly.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Exporter:
    format: str  # the --format value
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]  # the format's own flags
    export: Callable[[Path, argparse.Namespace], str]  # build folder + parsed flags -> the file's text


def exporters_of(builder: object) -> dict[str, Exporter]:
    """format -> Exporter for a builder instance (empty when it declares none)."""
    declared: Sequence[Exporter] | None = getattr(builder, "exporters", None)
    if declared is None:
        package = type(builder).__module__
        try:
            module = importlib.import_module(f"{package}.export")
        except ModuleNotFoundError as exc:
            if exc.name != f"{package}.export":
                raise  # the module exists but an import inside it failed: that is a bug to show
            module = None
        declared = getattr(module, "EXPORTERS", ()) if module is not None else ()
    return {e.format: e for e in declared}
