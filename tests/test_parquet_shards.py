"""ParquetShardWriter keeps ArrowShardWriter's contract; --max-shard-size parses sizes with clear errors."""

from __future__ import annotations

import hashlib

import datasets
import pyarrow.parquet as pq
import pytest

from curate.cli import main
from curate.errors import SchemaError
from curate.shard_formats import ParquetShardWriter, ShardSizeError, make_shard_writer, parse_size, scan
from curate.shards import ArrowShardWriter, hf_schema, read_batches

FEATURES = datasets.Features({"id": datasets.Value("string"), "n": datasets.Value("int64"),
                              "tokens": datasets.Sequence(datasets.Value("string"))})


def _rows(n: int) -> list[dict]:
    return [{"id": f"r{i}", "n": i, "tokens": [f"t{i}"] * (i % 5)} for i in range(n)]


def _write(cls, path, rows, **kw):
    w = cls(path, hf_schema(FEATURES), builder="demo", id_field="id", **kw)
    w.write_many(rows)
    return w.close()


def test_parquet_shards_split_by_size_hash_and_read_back(tmp_path):
    rows = _rows(3000)
    infos = _write(ParquetShardWriter, tmp_path / "p", rows, max_shard_bytes=8 * 1024, row_group_bytes=4 * 1024,
                   batch_rows=100)
    assert len(infos) > 2 and [i.filename for i in infos][0] == f"data-00000-of-{len(infos):05d}.parquet"
    assert sum(i.rows for i in infos) == 3000
    for info in infos:
        data = (tmp_path / "p" / info.filename).read_bytes()
        assert info.sha256 == hashlib.sha256(data).hexdigest() and info.bytes == len(data)
        assert pq.ParquetFile(tmp_path / "p" / info.filename).metadata.num_rows == info.rows
        assert sum(b.num_rows for b in read_batches(tmp_path / "p" / info.filename)) == info.rows
    assert not list((tmp_path / "p").glob(".tmp-*"))
    assert scan(tmp_path / "p").collect().to_dicts() == rows
    # the features travel in the file: `datasets` reads the Sequence back, not a bare list
    ds = datasets.Dataset.from_parquet([str(tmp_path / "p" / i.filename) for i in infos])
    assert ds.features == FEATURES and ds[7] == rows[7]


def test_same_records_same_bytes_whatever_the_batching(tmp_path):
    rows = _rows(2000)
    a = _write(ParquetShardWriter, tmp_path / "a", rows, batch_rows=7)
    w = ParquetShardWriter(tmp_path / "b", hf_schema(FEATURES), batch_rows=7)
    arrow = _write(ArrowShardWriter, tmp_path / "arrow", rows, batch_rows=7)
    for batch in read_batches(tmp_path / "arrow" / arrow[0].filename):
        w.write_batch(batch)
    b = w.close()
    assert [i.sha256 for i in a] == [i.sha256 for i in b]


def test_empty_split_gets_one_valid_file_and_abort_leaves_nothing(tmp_path):
    (info,) = _write(ParquetShardWriter, tmp_path / "e", [])
    assert info.rows == 0 and pq.read_table(tmp_path / "e" / info.filename).num_rows == 0
    w = make_shard_writer("parquet", tmp_path / "x", hf_schema(FEATURES), max_shard_bytes=2048,
                          row_group_bytes=1024, builder="demo")
    w.write_many(_rows(500))
    w.abort()
    assert list((tmp_path / "x").iterdir()) == []
    with pytest.raises(SchemaError, match="field 'n' of record #1"):
        w = ParquetShardWriter(tmp_path / "y", hf_schema(FEATURES), builder="demo")
        w.write({"id": "a", "n": "not a number", "tokens": []})
        w.close()


@pytest.mark.parametrize("text,value", [("500MB", 500 * 10**6), ("256MiB", 256 * 2**20), ("1.5GB", 15 * 10**8),
                                        ("4096", 4096), (" 2 kb ", 2000), ("1TiB", 2**40)])
def test_parse_size(text, value):
    assert parse_size(text) == value


@pytest.mark.parametrize("text,msg", [("500XB", "not a size"), ("MB", "not a size"), ("-5MB", "not a size"),
                                      ("10", "smallest allowed is 1024")])
def test_parse_size_errors(text, msg):
    with pytest.raises(ShardSizeError, match=msg):
        parse_size(text)


def test_cli_rejects_bad_size_and_format_before_building(tmp_path, capsys):
    assert main(["build", "maltese-etymology", "--sample", "--out", str(tmp_path / "o"),
                 "--max-shard-size", "12 parsecs"]) == 2
    assert "--max-shard-size '12 parsecs' is not a size" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
