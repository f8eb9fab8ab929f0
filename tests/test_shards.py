from __future__ import annotations

import hashlib

import datasets
import pyarrow as pa
import pytest

from curate.errors import SchemaError
from curate.shards import ArrowShardWriter, hf_schema, read_batches, scan_split

FEATURES = datasets.Features({"id": datasets.Value("string"), "tokens": datasets.Sequence(datasets.Value("string")),
                              "n": datasets.Value("int32")})


def _rec(i: int) -> dict:
    return {"id": f"r{i}", "tokens": ["x" * 50] * 20, "n": i}


def test_rotation_names_and_roundtrip(tmp_path):
    w = ArrowShardWriter(tmp_path, hf_schema(FEATURES), max_shard_bytes=64 * 1024, batch_rows=50)
    w.write_many(_rec(i) for i in range(1000))
    shards = w.close()
    assert len(shards) > 3
    names = sorted(p.name for p in tmp_path.glob("*.arrow"))
    assert names == [f"data-{i:05d}-of-{len(shards):05d}.arrow" for i in range(len(shards))]
    assert not list(tmp_path.glob(".tmp-*"))
    for s in shards:
        assert hashlib.sha256((tmp_path / s.filename).read_bytes()).hexdigest() == s.sha256
        assert (tmp_path / s.filename).stat().st_size == s.bytes
    ds = datasets.concatenate_datasets([datasets.Dataset.from_file(str(tmp_path / n)) for n in names])
    assert ds.features == FEATURES
    assert ds["n"] == list(range(1000))
    assert scan_split(tmp_path).collect()["n"].to_list() == list(range(1000))


def test_wrong_type_names_builder_field_and_record(tmp_path):
    w = ArrowShardWriter(tmp_path, hf_schema(FEATURES), builder="demo", id_field="id")
    w.write(_rec(1))
    w.write({"id": "bad-one", "tokens": ["a"], "n": "not a number"})
    with pytest.raises(SchemaError, match=r"demo: field 'n' of record id='bad-one'"):
        w.close()


def test_missing_and_extra_fields(tmp_path):
    w = ArrowShardWriter(tmp_path, hf_schema(FEATURES), builder="demo", id_field="id")
    with pytest.raises(SchemaError, match=r"missing fields \['n'\].*unexpected fields \['x'\]"):
        w.write({"id": "a", "tokens": [], "x": 1})


def test_abort_leaves_no_final_or_temp_files(tmp_path):
    with pytest.raises(RuntimeError):
        with ArrowShardWriter(tmp_path, hf_schema(FEATURES), max_shard_bytes=1024, batch_rows=10) as w:
            w.write_many(_rec(i) for i in range(100))
            raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []


def test_empty_split_gets_one_readable_shard(tmp_path):
    shards = ArrowShardWriter(tmp_path, hf_schema(FEATURES)).close()
    assert [s.filename for s in shards] == ["data-00000-of-00001.arrow"]
    assert len(datasets.Dataset.from_file(str(tmp_path / shards[0].filename))) == 0


def test_write_batch_rejects_other_schema(tmp_path):
    w = ArrowShardWriter(tmp_path, hf_schema(FEATURES))
    with pytest.raises(SchemaError):
        w.write_batch(pa.RecordBatch.from_pylist([{"a": 1}]))
    batch = pa.RecordBatch.from_pylist([_rec(1)], schema=hf_schema(FEATURES))
    w.write_batch(batch)
    (s,) = w.close()
    assert sum(b.num_rows for b in read_batches(tmp_path / s.filename)) == 1
