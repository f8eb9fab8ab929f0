"""`curate build --format parquet --max-shard-size`: files polars, DuckDB and `load_dataset` read back as the
Arrow build's rows; manifest sha256 per file; card configs point at the Parquet files; same bytes with 1
or 2 workers."""

from __future__ import annotations

import hashlib
import json
import os

import datasets
import polars as pl
import pytest
import yaml
from conftest import TESTS, shard_hashes

from curate.cli import main


def _files(out, pattern: str) -> dict[str, str]:
    return {str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob(pattern)) if ".curate" not in p.parts}


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """Three builds of the small test builder, made once for this module (as conftest's slow_env does)."""
    from curate.registry import all_builders

    root = tmp_path_factory.mktemp("parquet")
    out = {"root": root}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CURATE_EXTRA_BUILDERS", "slow_builder")
        mp.setenv("PYTHONPATH", f"{TESTS}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
        mp.syspath_prepend(str(TESTS))
        all_builders.cache_clear()
        for name, args in {"arrow": [], "p1": ["--format", "parquet", "--max-shard-size", "4KB"],
                           "p2": ["--format", "parquet", "--max-shard-size", "4KB", "--workers", "2"]}.items():
            out[name] = root / name
            assert main(["build", "test-slow-counting", "--out", str(out[name]), "--no-progress", *args]) == 0
        yield out
    all_builders.cache_clear()


def test_parquet_build_reads_back_everywhere(builds):
    arrow, pq_dir = builds["arrow"], builds["p2"]
    reference = datasets.load_from_disk(str(arrow / "default"))
    manifest = json.loads((pq_dir / "manifest.json").read_text())
    entry = manifest["configs"]["default"]
    assert entry["format"] == "parquet" and entry["fingerprint"]["format"] == "parquet"
    assert entry["fingerprint"]["max_shard_bytes"] == 4000
    for split in ("train", "test"):
        shards = entry["splits"][split]["shards"]
        assert len(shards) > 1 or split == "test"  # 4 kB shards: the limit splits the output (train: 822 rows)
        for sh in shards:
            data = (pq_dir / sh["path"]).read_bytes()
            assert sh["path"].endswith(".parquet") and hashlib.sha256(data).hexdigest() == sh["sha256"]
        files = sorted(str(p) for p in (pq_dir / "default" / split).glob("data-*.parquet"))
        expected = reference[split].to_list()
        assert pl.scan_parquet(files).collect().to_dicts() == expected  # shards in order, rows in order
        got = datasets.load_dataset("parquet", data_files={split: files}, split=split)
        assert got.features == reference[split].features and got.to_list() == expected
    assert not (pq_dir / "default" / "train" / "state.json").exists()  # not a load_from_disk folder


def test_duckdb_reads_the_parquet_build(builds):
    duckdb = pytest.importorskip("duckdb")  # pinned in the `test` extra
    reference = datasets.load_from_disk(str(builds["arrow"] / "default"))["train"]
    glob = str(builds["p2"] / "default" / "train" / "data-*.parquet")
    rows, total, first = duckdb.sql(f"SELECT count(*), sum(value), min(id) FROM read_parquet('{glob}')").fetchall()[0]
    assert rows == len(reference) and total == sum(reference["value"]) and first == min(reference["id"])


def test_card_points_at_parquet_and_load_dataset_follows_it(builds):
    out = builds["p2"]
    text = (out / "README.md").read_text()
    meta = yaml.safe_load(text.split("---\n")[1])
    (config,) = meta["configs"]
    assert {f["path"] for f in config["data_files"]} == {"default/train/data-*.parquet", "default/test/data-*.parquet"}
    ds = datasets.load_dataset(str(out), "default", split="test")
    assert ds.to_list() == datasets.load_from_disk(str(builds["arrow"] / "default"))["test"].to_list()


def test_parquet_bytes_do_not_depend_on_workers_and_arrow_limit_splits(builds, slow_env):
    assert _files(builds["p1"], "data-*.parquet") == _files(builds["p2"], "data-*.parquet")
    assert (builds["p1"] / "manifest.json").read_text().count('"sha256"') > 2
    # the size limit applies to Arrow output too, and load_from_disk still reads the split shards
    small = slow_env / "arrow-small"
    assert main(["build", "test-slow-counting", "--out", str(small), "--no-progress", "--max-shard-size", "8KiB"]) == 0
    assert len(shard_hashes(small)) > len(shard_hashes(builds["arrow"]))
    assert datasets.load_from_disk(str(small / "default"))["train"].to_list() == \
        datasets.load_from_disk(str(builds["arrow"] / "default"))["train"].to_list()
    # same folder, other format: a different build, refused without --overwrite
    assert main(["build", "test-slow-counting", "--out", str(small), "--no-progress", "--format", "parquet"]) == 2
