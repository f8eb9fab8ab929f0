"""What a build was asked to do (`BuildOptions`), the executors' typed settings, and the narrow `UnitSpec`
a worker receives. Defaults are stated here once; the CLI reads them from these classes."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

EXECUTORS = ("local", "slurm", "ray")


@dataclass(frozen=True)
class SlurmSettings:
    """`--executor slurm`: one job array for the units, then a dependent finalize job."""

    partition: str = "cpu"
    time: str = "24:00:00"
    mem_per_cpu_gb: float = 2
    venv_path: str | None = None  # activated by the job script (the CLI passes $VIRTUAL_ENV)
    sbatch_args: dict[str, Any] | None = None


@dataclass(frozen=True)
class RaySettings:
    """`--executor ray` (the cluster address is `BuildOptions.ray_address`)."""

    mem_per_cpu_gb: float = 2


@dataclass
class BuildOptions:
    out_dir: Path
    sample: bool = False
    offline: bool = False
    cache_dir: Path | None = None
    manual_dir: Path | None = None
    workers: int = 1
    executor: str = "local"
    max_examples: int | None = None
    overwrite: bool = False
    options: Any = None  # the builder's Options, or a dict of its fields: build() types and checks it
    slurm: SlurmSettings = field(default_factory=SlurmSettings)
    ray: RaySettings = field(default_factory=RaySettings)
    ray_address: str | None = None  # None: RAY_ADDRESS if set, else a private Ray instance
    format: str = "arrow"  # of the final shards: arrow (save_to_disk layout) or parquet
    max_shard_bytes: int | None = None  # None: the builder's max_shard_bytes
    progress: bool | str | None = True  # True/None: a bar on a TTY, else lines; False: off (curate.progress)
    verbose: bool = False
    endpoints: dict[str, str] = field(default_factory=dict)  # --endpoint KEY=URL (not part of the fingerprint)
    fetch: dict[str, Any] = field(default_factory=dict)  # CachedFetcher settings: retries, timeout, deadline, max_bytes
    durable: bool = False  # fsync every file and folder written (--durable)

    def unit_spec(self) -> UnitSpec:
        return UnitSpec(**{f.name: getattr(self, f.name) for f in dataclasses.fields(UnitSpec)})


@dataclass(frozen=True)
class UnitSpec:
    """What a worker needs to run work units: the `BuildContext` inputs, nothing about executors or
    progress bars (pickled into every datatrove task)."""

    out_dir: Path
    sample: bool = False
    offline: bool = False
    cache_dir: Path | None = None
    manual_dir: Path | None = None
    max_examples: int | None = None
    options: Any = None
    endpoints: dict[str, str] = field(default_factory=dict)
    fetch: dict[str, Any] = field(default_factory=dict)
    executor: str = "local"  # a local worker watches its parent (curate.lifeline); remote ones cannot
    verbose: bool = False
    durable: bool = False
