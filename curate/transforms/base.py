"""One interface for every transform: a single record, a `datasets.map(batched=True)` batch, or a
datatrove pipeline step.

A transform implements `process(records) -> iterator of records` over a stream of dicts (dropping a
record means not yielding it, and counting why with `self.count("dropped_<reason>")`). The three
entry points below are derived from it, so behaviour is identical everywhere.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any


class Transform:
    name: str = "transform"

    def __init__(self) -> None:
        self.stats: Counter = Counter()

    def count(self, key: str, n: int = 1) -> None:
        self.stats[key] += n

    # ---- the one method subclasses implement ----------------------------------------------------
    def process(self, records: Iterable[dict]) -> Iterator[dict]:
        for record in records:
            out = self.apply(record)
            if out is not None:
                yield out

    def apply(self, record: dict) -> dict | None:
        """Per-record logic for simple transforms; return None to drop the record."""
        raise NotImplementedError

    # ---- derived entry points -------------------------------------------------------------------
    def __call__(self, record: dict) -> dict | None:
        out = list(self.process([record]))
        return out[0] if out else None

    def batch(self, batch: dict[str, list]) -> dict[str, list]:
        """For `Dataset.map(transform.batch, batched=True)`; dropped records shrink the batch."""
        keys = list(batch)
        n = len(batch[keys[0]]) if keys else 0
        rows = ({k: batch[k][i] for k in keys} for i in range(n))
        out_rows = list(self.process(rows))
        out_keys = list(out_rows[0]) if out_rows else keys
        return {k: [r.get(k) for r in out_rows] for k in out_keys}

    def as_datatrove_step(self, text_key: str = "text") -> Any:
        """Wrap as a datatrove `PipelineStep`: `Document.text` is `record[text_key]`, metadata the rest."""
        from curate.transforms.datatrove_step import TransformStep

        return TransformStep(self, text_key=text_key)
