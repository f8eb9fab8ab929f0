from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"
TESTS = REPO / "tests"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture
def slow_env(monkeypatch, tmp_path):
    """Registers tests/slow_builder.py (also for subprocesses and datatrove workers) for runner tests."""
    from curate.registry import all_builders

    monkeypatch.setenv("CURATE_EXTRA_BUILDERS", "slow_builder")
    monkeypatch.setenv("PYTHONPATH", f"{TESTS}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    monkeypatch.setenv("SLOW_LOG", str(tmp_path / "generated.log"))
    monkeypatch.syspath_prepend(str(TESTS))
    all_builders.cache_clear()
    yield tmp_path
    all_builders.cache_clear()


@pytest.fixture
def shared_data() -> Path:
    if not SHARED.exists():
        pytest.skip(f"real data folder {SHARED} not present beside the project")
    return SHARED


def shard_hashes(out_dir: Path) -> dict[str, str]:
    import hashlib

    return {
        str(p.relative_to(out_dir)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(Path(out_dir).rglob("data-*.arrow"))
        if ".curate" not in p.parts
    }
