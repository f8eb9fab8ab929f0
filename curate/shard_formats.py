"""Output formats of a build (`--format arrow|parquet`) and the shard size limit (`--max-shard-size 500MB`).

`arrow` (the default) is the `Dataset.save_to_disk` layout that `load_from_disk` maps. `parquet` writes the
same records, in the same order and shard split rules, as `data-0000i-of-0000N.parquet` files that
`polars.scan_parquet`, DuckDB and `load_dataset("parquet", data_files=…)` read directly; the `huggingface`
schema metadata (the features) travels in the file, as `datasets` writes it. Work units always stage
Arrow parts; only finalize writes the chosen format, so the format never affects resume.

Parquet row groups hold ~64 MB of Arrow data (the viewer pages by row group; the same rule as `curate push`
uses to convert Arrow shards), so the bytes depend only on the records: same inputs, same files, whatever
the worker count. A shard closes at the first row-group (Parquet) or batch (Arrow) boundary at or past
the size limit, so a shard exceeds the limit by at most one row group or batch.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pyarrow as pa

from curate.errors import CurateError
from curate.shards import ArrowShardWriter, _HashingSink

FORMATS = ("arrow", "parquet")
ROW_GROUP_BYTES = 64 * 1024 * 1024
PARQUET_COMPRESSION = "snappy"  # what `Dataset.to_parquet` and the Hub's Parquet conversion write
_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}
MIN_SHARD_BYTES = 1024  # below this every batch would be its own file


class ShardSizeError(CurateError):
    """A --max-shard-size value that is not a size."""


def parse_size(text: str | int) -> int:
    """`500MB` → 500_000_000, `256MiB` → 268_435_456, `1.5GB`, `4096` (bytes). Units as `datasets` reads
    `max_shard_size`: kB/MB/GB/TB are powers of 1000, KiB/MiB/GiB/TiB powers of 1024."""
    if isinstance(text, int):
        value = text
    else:
        m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*", str(text))
        if not m or m.group(2).lower() not in _UNITS:
            raise ShardSizeError(f"--max-shard-size {text!r} is not a size; write e.g. 500MB, 2GB, 256MiB or "
                                 f"a number of bytes (units: {', '.join(u for u in _UNITS if u)})")
        value = int(float(m.group(1)) * _UNITS[m.group(2).lower()])
    if value < MIN_SHARD_BYTES:
        raise ShardSizeError(f"--max-shard-size {text!r} is {value} bytes; the smallest allowed is {MIN_SHARD_BYTES}")
    return value


def check_format(name: str) -> str:
    if name not in FORMATS:
        raise CurateError(f"unknown output format {name!r}; valid: {', '.join(FORMATS)}")
    return name


class ParquetShardWriter(ArrowShardWriter):
    """`ArrowShardWriter`'s contract (schema checks, size limit, sha256 while writing, atomic publication,
    abort) with Parquet files: batches gather into row groups of `row_group_bytes` of Arrow data."""

    suffix = "parquet"

    def __init__(self, out_dir: str | Path, schema: pa.Schema, *, row_group_bytes: int = ROW_GROUP_BYTES,
                 compression: str = PARQUET_COMPRESSION, **kwargs: Any):
        super().__init__(out_dir, schema, **kwargs)
        # a row group never spans more than the shard limit, so small limits still split the output
        self.row_group_bytes = min(row_group_bytes, self.max_shard_bytes)
        self.compression = compression
        self._pending: list[pa.RecordBatch] = []
        self._pending_bytes = 0

    def _open_shard(self) -> None:
        import pyarrow.parquet as pq

        path = self.out_dir / f".tmp-{self.prefix}-{len(self._temp):05d}.{self.suffix}"
        self._file = open(path, "wb")
        self._sink = _HashingSink(self._file, copy=True)
        self._writer = pq.ParquetWriter(self._sink, self.schema, compression=self.compression)
        self._temp_path = path

    def _write(self, batch: pa.RecordBatch) -> None:
        self._pending.append(batch)
        self._pending_bytes += batch.nbytes
        self._shard_rows += batch.num_rows
        self.rows_written += batch.num_rows
        if self._pending_bytes >= self.row_group_bytes:
            self._flush_row_group()

    def _flush_row_group(self) -> None:
        if not self._pending:
            return
        if self._writer is None:
            self._open_shard()
        table = pa.Table.from_batches(self._pending, self.schema)
        self._pending, self._pending_bytes = [], 0
        self._writer.write_table(table, row_group_size=max(1, table.num_rows))  # exactly one row group
        if self._sink.tell() >= self.max_shard_bytes:
            self._close_shard()

    def close(self) -> list:
        self._flush_rows()
        self._flush_row_group()
        return super().close()

    def abort(self) -> None:
        self._pending, self._pending_bytes = [], 0
        if self._writer is not None:
            self._writer.close()  # else its finaliser writes a footer into the closed file later
        super().abort()


def make_shard_writer(data_format: str, out_dir: str | Path, schema: pa.Schema, **kwargs: Any) -> ArrowShardWriter:
    """The final-shard writer for `--format`."""
    cls = ParquetShardWriter if check_format(data_format) == "parquet" else ArrowShardWriter
    return cls(out_dir, schema, **kwargs)


def scan(split_dir: str | Path) -> Any:
    """A polars LazyFrame over one split's shards, whichever format they are in."""
    import polars as pl

    from curate.shards import scan_split

    files = sorted(Path(split_dir).glob("data-*-of-*.parquet"))
    return pl.scan_parquet([str(f) for f in files]) if files else scan_split(split_dir)
