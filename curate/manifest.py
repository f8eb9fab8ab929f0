"""`DIR/manifest.json` as a type: what a build wrote, one entry per config, each shard with its sha256.

The manifest is written last by `finalize_build`: a config it lists is on disk, byte for byte (`complete`
checks it). Keys this version does not know are kept as they are (`extra`), so reading and rewriting
a newer manifest loses nothing. Every reader (build, card, `curate push`, `curate export`) goes through
`Manifest.read`/`load`, so a file that is not a curate manifest gets one error naming it, wherever it is read.

A config's entry stays the builder's free-form record (`splits`, `skipped`, `counts`, `fetch`,
`statistics`...); only what every reader indexes into is checked: `splits` → `rows` and `shards`, each
shard's `path`, `rows`, `bytes` and `sha256`.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from curate.errors import InputFormatError
from curate.io import file_sha256, write_json_atomic

MANIFEST = "manifest.json"

# what readers of a shard index into, with the type each must have
_SHARD_KEYS: dict[str, type] = {"path": str, "rows": int, "bytes": int, "sha256": str}


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
    def from_json(cls, data: Any, path: Path | str = MANIFEST) -> Manifest:
        """The manifest a parsed `manifest.json` holds; `InputFormatError` naming `path` when it is not one."""
        problem = _problem(data)
        if problem:
            raise InputFormatError(path, None, f"not a curate manifest: {problem}")
        known = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        return cls(**{k: v for k, v in data.items() if k in known},
                   extra={k: v for k, v in data.items() if k not in known})

    def to_json(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "extra"}
        out["configs"] = self.sorted_configs()
        return {**self.extra, **out}

    @classmethod
    def read(cls, path: Path | str) -> Manifest:
        """The manifest file at `path`: `InputFormatError` naming it if it is not JSON or not a curate manifest."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise InputFormatError(path, None, f"not a curate manifest: not UTF-8 text ({exc.reason})") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputFormatError(path, exc.lineno, f"not a curate manifest: not JSON ({exc.msg})") from None
        return cls.from_json(data, path)

    @classmethod
    def load(cls, out_dir: Path | str) -> Manifest | None:
        """`DIR/manifest.json` (checked as `read` does), or None when the folder has none yet."""
        path = Path(out_dir) / MANIFEST
        return cls.read(path) if path.exists() else None

    def save(self, out_dir: Path | str) -> None:
        write_json_atomic(Path(out_dir) / MANIFEST, self.to_json())

    def sorted_configs(self) -> dict[str, dict[str, Any]]:
        """config → entry in name order: the order `manifest.json` lists them, so also the card's order, whether
        the manifest was read back or is the one `finalize_build` is still filling (insertion order)."""
        return dict(sorted(self.configs.items()))

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


def _problem(data: Any) -> str | None:
    """What makes `data` unusable as a manifest (the first thing found), or None."""
    if not isinstance(data, dict):
        return f"a JSON {type(data).__name__}, not an object"
    for key in ("builder", "configs"):
        if key not in data:
            return f"no {key!r} key"
    if not isinstance(data["builder"], str):
        return "'builder' is not a string"
    if not isinstance(data["configs"], dict):
        return "'configs' is not an object"
    for name, entry in data["configs"].items():
        where = f"configs.{name}"
        if not isinstance(entry, dict):
            return f"{where} is not an object"
        if not isinstance(entry.get("splits"), dict):
            return f"{where}.splits is missing or not an object"
        for split, info in entry["splits"].items():
            where = f"configs.{name}.splits.{split}"
            if not isinstance(info, dict) or not _is_int(info.get("rows")) or not isinstance(info.get("shards"), list):
                return f"{where} needs 'rows' (a whole number) and 'shards' (a list)"
            for i, shard in enumerate(info["shards"]):
                if not isinstance(shard, dict):
                    return f"{where}.shards[{i}] is not an object"
                wrong = [k for k, t in _SHARD_KEYS.items()
                         if not (_is_int(shard.get(k)) if t is int else isinstance(shard.get(k), t))]
                if wrong:
                    return f"{where}.shards[{i}] lacks or mistypes {', '.join(wrong)}"
    return None


def _is_int(value: Any) -> bool:
    # True is an int to Python, and a `rows: true` would be counted as 1
    return isinstance(value, int) and not isinstance(value, bool)
