"""The on-disk SQLite cache of machine translations and the model fingerprint that keys it.

A key is sha256 of (model fingerprint, generation settings, source language, target language, text), so a
rerun with the same model and settings translates nothing twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from pathlib import Path


def model_fingerprint(model: str) -> str:
    """Identity of a model for the cache: a hub id as given; a local folder by its config and weight files.

    Hashing the first and last MiB of each weight file (plus its size) tells two checkpoints apart without
    reading gigabytes."""
    path = Path(model)
    if not path.is_dir():
        return model
    h = hashlib.sha256()
    for f in sorted(path.iterdir()):
        if f.name == "config.json" or f.suffix in (".safetensors", ".json", ".model", ".spm"):
            size = f.stat().st_size
            h.update(f"{f.name}:{size}".encode())
            with open(f, "rb") as fh:
                h.update(fh.read(1 << 20))
                if size > 2 << 20:
                    fh.seek(-(1 << 20), os.SEEK_END)
                    h.update(fh.read())
    return f"{path.name}@{h.hexdigest()[:16]}"


class TranslationCache:
    """SQLite key-value store: one committed transaction per batch, so an interrupted run keeps its work."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(str(path), timeout=60)
        self.db.execute("CREATE TABLE IF NOT EXISTS mt (key TEXT PRIMARY KEY, model TEXT, src TEXT, tgt TEXT, "
                        "source TEXT, translation TEXT)")
        self.db.commit()

    @staticmethod
    def key(model: str, settings: str, src: str, tgt: str, text: str) -> str:
        return hashlib.sha256(json.dumps([model, settings, src, tgt, text], ensure_ascii=False).encode()).hexdigest()

    def get_many(self, keys: list[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            rows = self.db.execute(f"SELECT key, translation FROM mt WHERE key IN ({','.join('?' * len(chunk))})",
                                   chunk)
            found.update(rows.fetchall())
        return found

    def put_many(self, rows: list[tuple[str, str, str, str, str, str]]) -> None:
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO mt VALUES (?, ?, ?, ?, ?, ?)", rows)
