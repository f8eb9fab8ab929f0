"""`ArrowShardWriter`: streaming Arrow IPC shards with bounded memory, a maximum shard size, schema
enforcement and atomic publication.

Shards use the IPC *stream* format with the `huggingface` schema metadata, byte-compatible with what
`datasets.Dataset.save_to_disk` writes, so `datasets.load_from_disk` maps them directly. (polars reads
them with `pl.read_ipc_stream`, or `curate.shards.scan_split` for a lazy frame: `pl.scan_ipc` only
understands the IPC *file* format, which `datasets` cannot open; we chose the layout `datasets` needs.)

Shards are written under temporary names and renamed to `data-0000i-of-0000N.arrow` only when the
writer closes, so a killed or out-of-space run never leaves a half-written shard under a final name.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from curate.errors import SchemaError


@dataclass(frozen=True)
class ShardInfo:
    filename: str
    rows: int
    bytes: int
    sha256: str


class _HashingSink:
    """File-like wrapper that hashes bytes as pyarrow writes them, on a helper thread: hashlib releases
    the GIL, so hashing overlaps with the next batch's conversion instead of adding a second pass."""

    def __init__(self, f: Any, copy: bool = False):
        self.f = f
        self.copy = copy  # Parquet's writer may reuse its buffers after write(): hash a copy of those
        self.sha = hashlib.sha256()
        self.size = 0
        self.closed = False
        self._queue: queue.Queue = queue.Queue(maxsize=8)
        self._thread = threading.Thread(target=self._hash_loop, daemon=True)
        self._thread.start()

    def _hash_loop(self) -> None:
        while (chunk := self._queue.get()) is not None:
            self.sha.update(chunk)

    def write(self, data: Any) -> int:
        # pyarrow hands over immutable bytes or a pyarrow.Buffer of the batch's own (refcounted, never
        # mutated) memory: the hashing thread can read it later without a copy
        view = memoryview(data)
        self._queue.put(bytes(view) if self.copy else view)
        self.size += view.nbytes
        return self.f.write(view)

    def flush(self) -> None:
        self.f.flush()

    def close(self) -> None:
        self.closed = True

    def hexdigest(self) -> str:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        return self.sha.hexdigest()

    def tell(self) -> int:
        return self.size


def hf_schema(features: Any) -> pa.Schema:
    """Arrow schema for `datasets.Features`, carrying the metadata `datasets` reads back."""
    schema = features.arrow_schema
    meta = {"huggingface": json.dumps({"info": {"features": features.to_dict()}})}
    return schema.with_metadata(meta)


class ArrowShardWriter:
    suffix = "arrow"

    def __init__(
        self,
        out_dir: str | Path,
        schema: pa.Schema,
        *,
        max_shard_bytes: int = 256 * 1024 * 1024,
        batch_rows: int = 1000,
        batch_bytes: int = 8 * 1024 * 1024,
        builder: str = "",
        id_field: str | None = None,
        prefix: str = "data",
        durable: bool = False,
    ):
        self.out_dir = Path(out_dir)
        self.schema = schema
        self.max_shard_bytes = max_shard_bytes
        self.batch_rows = batch_rows
        self.batch_bytes = batch_bytes
        self.builder = builder
        self.id_field = id_field
        self.prefix = prefix
        self.durable = durable  # fsync each shard: survives power loss, not just a killed process
        self._names = set(schema.names)
        # pyarrow turns "abc" into ["a", "b", "c"] for a list field; catch the forgotten tokenisation
        self._list_fields = [f.name for f in schema if pa.types.is_list(f.type) or pa.types.is_large_list(f.type)]
        self._rows: list[dict] = []
        # rows per batch adapt to the measured row size so a batch stays near batch_bytes (bounded memory
        # without sizing every record in Python); the first batch is small to take that measurement early
        self._batch_limit = min(64, batch_rows)
        self._temp: list[tuple[Path, int, int, str]] = []  # (path, rows, bytes, sha256)
        self._published: list[Path] = []
        self._file: Any = None
        self._sink: _HashingSink | None = None
        self._writer: pa.ipc.RecordBatchStreamWriter | None = None
        self._shard_rows = 0
        self.rows_written = 0
        self.out_dir.mkdir(parents=True, exist_ok=True)

    # ---- writing ----------------------------------------------------------------------------------
    def write(self, record: dict) -> None:
        if record.keys() != self._names:
            self._fail_keys(record)
        for name in self._list_fields:
            if isinstance(record[name], (str, bytes)):
                raise SchemaError(f"{self.builder}: field {name!r} of {self._record_name(record)} is a string; "
                                  "the schema expects a list")
        self._rows.append(record)
        if len(self._rows) >= self._batch_limit:
            self._flush_rows()

    def write_many(self, records: Iterable[dict]) -> None:
        for record in records:
            self.write(record)

    def write_batch(self, batch: pa.RecordBatch) -> None:
        """Append an already-typed batch (e.g. from a part file); its schema must match exactly."""
        self._flush_rows()
        if not batch.schema.equals(self.schema, check_metadata=False):
            raise SchemaError(f"{self.builder}: batch schema {batch.schema} does not match {self.schema}")
        self._write(batch)

    def _flush_rows(self) -> None:
        if not self._rows:
            return
        rows, self._rows = self._rows, []
        try:
            batch = pa.RecordBatch.from_pylist(rows, schema=self.schema)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError) as exc:
            self._fail_values(rows, exc)
        row_bytes = max(1, batch.nbytes // max(1, batch.num_rows))
        self._batch_limit = max(1, min(self.batch_rows, self.batch_bytes // row_bytes))
        self._write(batch)

    def _write(self, batch: pa.RecordBatch) -> None:
        if self._writer is None:
            self._open_shard()
        self._writer.write_batch(batch)
        self._shard_rows += batch.num_rows
        self.rows_written += batch.num_rows
        if self._sink.tell() >= self.max_shard_bytes:
            self._close_shard()

    def _open_shard(self) -> None:
        path = self.out_dir / f".tmp-{self.prefix}-{len(self._temp):05d}.{self.suffix}"
        self._file = open(path, "wb")
        self._sink = _HashingSink(self._file)
        self._writer = pa.ipc.new_stream(self._sink, self.schema)
        self._temp_path = path

    def _close_shard(self) -> None:
        self._writer.close()
        self._file.flush()
        if self.durable:
            os.fsync(self._file.fileno())
        self._file.close()
        self._temp.append((self._temp_path, self._shard_rows, self._sink.size, self._sink.hexdigest()))
        self._writer = self._sink = self._file = None
        self._shard_rows = 0

    # ---- finishing ---------------------------------------------------------------------------------
    def close(self) -> list[ShardInfo]:
        """Flush, then publish every shard under its final `data-0000i-of-0000N.<suffix>` name."""
        self._flush_rows()
        if self._writer is None and not self._temp:
            self._open_shard()  # an empty split still gets one valid shard, as `datasets` does
        if self._writer is not None:
            self._close_shard()
        n = len(self._temp)
        infos = []
        for i, (path, rows, size, sha) in enumerate(self._temp):
            name = f"{self.prefix}-{i:05d}-of-{n:05d}.{self.suffix}"
            os.replace(path, self.out_dir / name)
            infos.append(ShardInfo(name, rows, size, sha))
            self._published.append(self.out_dir / name)
        self._temp = []
        return infos

    def abort(self) -> None:
        """Remove everything this writer wrote, temporary or already published: a caller aborts when the
        unit of work the shards belong to failed, and a shard must never outlive a failed unit."""
        if self._file is not None:
            self._file.close()
            self._sink.hexdigest()  # stops the hashing thread
        for path in [p for p, *_ in self._temp] + ([self._temp_path] if self._writer is not None else []):
            Path(path).unlink(missing_ok=True)
        for path in self._published:
            path.unlink(missing_ok=True)
        self._temp, self._writer, self._published = [], None, []

    def __enter__(self) -> ArrowShardWriter:
        return self

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        if exc_type is not None:
            self.abort()

    # ---- errors name the builder, the field and the record ------------------------------------------
    def _record_name(self, record: dict, position: int | None = None) -> str:
        if self.id_field and self.id_field in record:
            return f"record {self.id_field}={record[self.id_field]!r}"
        # position within the unflushed buffer; a record not yet buffered comes right after it
        return f"record #{self.rows_written + (len(self._rows) if position is None else position) + 1}"

    def _fail_keys(self, record: dict) -> None:
        missing = sorted(self._names - record.keys())
        extra = sorted(record.keys() - self._names)
        raise SchemaError(
            f"{self.builder}: {self._record_name(record)} does not match the schema"
            + (f"; missing fields {missing}" if missing else "")
            + (f"; unexpected fields {extra}" if extra else "")
        )

    def _fail_values(self, rows: list[dict], exc: Exception) -> None:
        self._rows = []  # _record_name counts from rows_written when given a position
        for position, record in enumerate(rows):
            for field in self.schema:
                try:
                    pa.array([record[field.name]], type=field.type)
                except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError) as field_exc:
                    raise SchemaError(
                        f"{self.builder}: field {field.name!r} of {self._record_name(record, position)} "
                        f"does not fit type {field.type}: {field_exc}"
                    ) from None
        raise SchemaError(f"{self.builder}: records do not match the schema: {exc}") from exc


def read_batches(path: str | Path) -> Iterable[pa.RecordBatch]:
    """The record batches of one shard, Arrow IPC stream or (`--format parquet`) Parquet."""
    if str(path).endswith(".parquet"):
        import pyarrow.parquet as pq

        with pq.ParquetFile(str(path)) as f:
            yield from f.iter_batches()
        return
    with pa.memory_map(str(path)) as source:
        reader = pa.ipc.open_stream(source)
        yield from reader


def scan_split(split_dir: str | Path) -> Any:
    """A polars LazyFrame over one split's shards (polars' own `read_ipc_stream`, shards in order)."""
    import polars as pl

    files = sorted(Path(split_dir).glob("data-*-of-*.arrow"))
    return pl.concat([pl.read_ipc_stream(f).lazy() for f in files]) if files else pl.LazyFrame()
