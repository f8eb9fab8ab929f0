"""Finds builders without a hand-kept list: every module or package under `curate/builders/`, the
`curate.builders` entry-point group for third-party packages, and the modules named in the
`CURATE_EXTRA_BUILDERS` environment variable (comma-separated; handy for one-off builders)."""

from __future__ import annotations

import importlib
import os
import pkgutil
from functools import lru_cache
from importlib.metadata import entry_points

from curate.builder import Builder
from curate.errors import BuilderDefinitionError, UnknownNameError


def _subclasses(cls: type) -> list[type]:
    out = []
    for sub in cls.__subclasses__():
        out.append(sub)
        out.extend(_subclasses(sub))
    return out


@lru_cache(maxsize=1)
def all_builders() -> dict[str, type[Builder]]:
    import curate.builders as builders

    for info in pkgutil.iter_modules(builders.__path__, prefix="curate.builders."):
        importlib.import_module(info.name)
    for ep in entry_points(group="curate.builders"):
        ep.load()
    for module in filter(None, os.environ.get("CURATE_EXTRA_BUILDERS", "").split(",")):
        try:
            importlib.import_module(module.strip())
        except ModuleNotFoundError as exc:
            raise BuilderDefinitionError(f"CURATE_EXTRA_BUILDERS names {module.strip()!r}, which cannot be "
                                         f"imported ({exc}); is its folder on PYTHONPATH?") from None
    found: dict[str, type[Builder]] = {}
    for cls in _subclasses(Builder):
        if cls.name:
            if cls.name in found and found[cls.name] is not cls:
                raise BuilderDefinitionError(f"two builders named {cls.name!r}: {found[cls.name]} and {cls}")
            found[cls.name] = cls
    return dict(sorted(found.items()))


def get_builder(name: str) -> Builder:
    builders = all_builders()
    if name not in builders:
        raise UnknownNameError("builder", name, list(builders))
    return builders[name]()
