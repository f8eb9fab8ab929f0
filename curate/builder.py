"""The builder API, in the spirit of tensorflow-datasets.

A builder *declares* what a dataset is (name, version, configs, sources, features, splits, licence,
citation) and *yields* examples one work unit at a time. It never writes files: the runner
(`curate.run`) shards work units over a datatrove executor and the shard writer persists them.

    class MyDataset(Builder):
        name = "my-dataset"
        version = "1.0.0"
        configs = [BuilderConfig("default")]
        def features(self, config): ...
        def work_units(self, ctx): return ["a", "b"]
        def generate(self, unit, ctx):
            yield ctx.config.name, "train", {"text": ...}

What `prepare(ctx)` returns (JSON-able) is stored in the stage and handed to every worker as
`ctx.prepared`: the explicit way for a listing or a lookup table location to reach `generate`.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from curate.errors import ManualDownloadError, UnknownNameError
from curate.options import BuilderOptions, NoOptions

if TYPE_CHECKING:
    import datasets

    from curate.fetch import CachedFetcher

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Source:
    """One input of a builder: a URL with its checksum, a file shipped in the repo, or a manual download."""

    name: str
    url: str | None = None
    sha256: str | None = None
    path: str | None = None  # shipped file, relative to the repository root
    manual: bool = False  # the user must supply it through --manual-dir
    license: str = ""
    description: str = ""


@dataclass(frozen=True)
class BuilderConfig:
    name: str
    description: str = ""
    languages: tuple[str, ...] = ()


@dataclass
class BuildContext:
    """Everything a builder may read while it runs; built by the runner, identical on every worker."""

    config: BuilderConfig
    out_dir: Path
    sample: bool = False
    offline: bool = False
    cache_dir: Path = field(default_factory=lambda: Path(os.environ.get("CURATE_CACHE", "~/.cache/curate")).expanduser())
    manual_dir: Path | None = None
    max_examples: int | None = None
    options: Any = field(default_factory=NoOptions)  # the builder's typed, checked `Options` (curate.options)
    skipped: Counter = field(default_factory=Counter)  # reason -> count, written to the manifest
    counted: Counter = field(default_factory=Counter)  # name -> count of things noted, nothing dropped (`counts`)
    cassette: Path | None = None  # recorded responses replayed as the network in --sample mode
    endpoints: dict[str, str] = field(default_factory=dict)  # --endpoint KEY=URL overrides of Builder.endpoints
    fetch_settings: dict[str, Any] = field(default_factory=dict)  # CachedFetcher retries/timeout/deadline/max_bytes
    configs: tuple[str, ...] = ()  # the configs `generate` produces in this pass (shared_work_units: several)
    prepared: Any = None  # what `prepare()` returned, restored from the stage on every worker
    _fetcher: Any = None

    def __post_init__(self) -> None:
        if not self.configs:
            self.configs = (self.config.name,)

    def skip(self, reason: str, n: int = 1) -> None:
        """Count a record that was deliberately left out; the manifest reports every reason."""
        self.skipped[reason] += n

    def count(self, name: str, n: int = 1) -> None:
        """Count something worth reporting that is not a left-out record (the manifest's `counts`, not `skipped`)."""
        self.counted[name] += n

    def endpoint(self, key: str, default: str) -> str:
        """The base URL of one remote endpoint: `--endpoint KEY=URL` when given, else the builder's default."""
        return self.endpoints.get(key, default).rstrip("/")

    @property
    def fetcher(self) -> CachedFetcher:
        if self._fetcher is None:
            from curate.fetch import CachedFetcher

            if self.cassette is not None:
                # --sample: the recorded responses are the network; the cache lives with the build
                from curate.staging import Staging

                self._fetcher = CachedFetcher(Staging(self.out_dir).http_sample_cache, cassette=self.cassette,
                                              **self.fetch_settings)
            else:
                self._fetcher = CachedFetcher(self.cache_dir / "http", offline=self.offline, **self.fetch_settings)
        return self._fetcher

    def manual_path(self, relative: str, instructions: str) -> Path:
        """A file from --manual-dir, or a ManualDownloadError carrying the builder's instructions."""
        if self.manual_dir is None:
            raise ManualDownloadError(f"this build needs files from --manual-dir.\n{instructions}")
        path = self.manual_dir / relative
        if not path.exists():
            raise ManualDownloadError(f"missing manual file {path}.\n{instructions}")
        return path


class Builder:
    """Base class of every dataset builder; subclasses in `curate/builders/` are registered automatically."""

    name: ClassVar[str] = ""
    version: ClassVar[str] = "0.0.0"
    description: ClassVar[str] = ""
    homepage: ClassVar[str] = ""
    citation: ClassVar[str] = ""
    license: ClassVar[str] = ""  # SPDX id or short name, as the Hub's `license:` field expects
    languages: ClassVar[tuple[str, ...]] = ()
    task_categories: ClassVar[tuple[str, ...]] = ()
    configs: ClassVar[list[BuilderConfig]] = []
    default_configs: ClassVar[tuple[str, ...] | None] = None  # built when no --config is given; None = all
    splits: ClassVar[tuple[str, ...]] = ("train",)
    sources: ClassVar[list[Source]] = []
    manual_download_instructions: ClassVar[str | None] = None
    id_field: ClassVar[str | None] = None  # names a record in error messages
    max_shard_bytes: ClassVar[int] = 256 * 1024 * 1024
    Options: ClassVar[type[BuilderOptions]] = NoOptions  # frozen dataclass: flags, checks, defaults (curate.options)
    shared_work_units: ClassVar[bool] = False  # one pass over a unit yields every requested config
    endpoints: ClassVar[dict[str, str]] = {}  # remote endpoint key -> default base URL (--endpoint KEY=URL)

    # ---- declarations -------------------------------------------------------------------------
    def features(self, config: BuilderConfig) -> datasets.Features:
        raise NotImplementedError

    def splits_for(self, config: BuilderConfig) -> tuple[str, ...]:
        return self.splits

    # ---- generation ---------------------------------------------------------------------------
    def work_units(self, ctx: BuildContext) -> list[str]:
        """Stable, ordered ids of independent pieces of work; a finished unit is never redone."""
        return ["all"]

    def generate(self, unit: str, ctx: BuildContext) -> Iterator[tuple[str, str, dict]]:
        """Yield `(config, split, record)` for one work unit, in a deterministic order. `config` is one of
        `ctx.configs`: just `ctx.config.name`, or with `shared_work_units` every requested config (one
        expensive pass over the unit serves them all)."""
        raise NotImplementedError

    def prepare(self, ctx: BuildContext) -> Any:
        """Optional step run once per config, in the parent process, before the work units are listed.
        Returns JSON-able data (a listing, a table's location); it is stored in the stage and every
        worker reads it as `ctx.prepared` (so is `work_units`, which runs after it)."""
        return None

    def card_context(self, config: BuilderConfig, tables: dict[str, Any]) -> dict[str, Any]:
        """Extra statistics for the card template, computed from the finished splits (pyarrow tables)."""
        return {}

    # ---- helpers ------------------------------------------------------------------------------
    def config(self, name: str | None) -> BuilderConfig:
        if name is None:
            return self.configs[0]
        for c in self.configs:
            if c.name == name:
                return c
        raise UnknownNameError(f"config of {self.name}", name, [c.name for c in self.configs])

    def card_template(self) -> Path:
        """The card's Jinja2 template: `card.md` beside the builder module (one folder per dataset)."""
        import inspect

        return Path(inspect.getfile(type(self))).resolve().parent / "card.md"

    def sample_dir(self) -> Path:
        """The bundled real fixtures for --sample, beside the builder module."""
        import inspect

        return Path(inspect.getfile(type(self))).resolve().parent / "sample"

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "description": self.description,
            "homepage": self.homepage,
            "license": self.license,
            "citation": self.citation,
            "languages": list(self.languages),
            "configs": [{"name": c.name, "description": c.description} for c in self.configs],
            "splits": list(self.splits),
            "sources": [vars(s) for s in self.sources],
            "manual_download_instructions": self.manual_download_instructions,
            "endpoints": dict(self.endpoints),
        }
