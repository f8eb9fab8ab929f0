"""`DIR/manifest.json` as a type: what a build wrote, one entry per config, each shard with its sha256.

The manifest is written last by `finalize_build`: a config it lists is on disk, byte for byte (`complete`
checks it). Keys this version does not know are kept as they are (`extra`), so reading and rewriting
a newer manifest loses nothing.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from curate.io import file_sha256, write_json_atomic

MANIFEST = "manifest.json"


@dataclass
class Manifest:
    builder: str
    configs: dict[str, dict[str, Any]] = field(default_factory=dict)  # config → entry (splits, shards, skipped...)
    version: str = ""
    license: str = ""
    sources: list[dict[str, Any]] = field(default_factory=list)
    tools: dict[str, str] = field(default_factory=dict)
    wall_time_s: float = 0.0
    sample: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        known = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        return cls(**{k: v for k, v in data.items() if k in known},
                   extra={k: v for k, v in data.items() if k not in known})

    def to_json(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "extra"}
        out["configs"] = dict(sorted(self.configs.items()))
        return {**self.extra, **out}

    @classmethod
    def load(cls, out_dir: Path | str) -> Manifest | None:
        path = Path(out_dir) / MANIFEST
        return cls.from_json(json.loads(path.read_text())) if path.exists() else None

    def save(self, out_dir: Path | str) -> None:
        write_json_atomic(Path(out_dir) / MANIFEST, self.to_json())

    def shards(self, config: str) -> Iterator[dict[str, Any]]:
        """`{"path", "rows", "bytes", "sha256"}` of every shard of one config."""
        for split in self.configs[config].get("splits", {}).values():
            yield from split["shards"]

    def complete(self, out_dir: Path | str, config: str) -> bool:
        """Whether every shard the entry lists is on disk with its recorded sha256 (sizes first: a cheap
        refusal before reading every byte)."""
        out_dir = Path(out_dir)
        shards = list(self.shards(config))
        if not all((out_dir / sh["path"]).is_file() and (out_dir / sh["path"]).stat().st_size == sh["bytes"]
                   for sh in shards):
            return False
        return all(file_sha256(out_dir / sh["path"]) == sh["sha256"] for sh in shards)
