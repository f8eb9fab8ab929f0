"""Adapter that runs any `Transform` inside a datatrove pipeline."""

from __future__ import annotations

from collections import Counter

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from curate.transforms.base import Transform


class TransformStep(PipelineStep):
    name = "curate transform"
    type = "🧪 - TRANSFORM"

    def __init__(self, transform: Transform, text_key: str = "text"):
        self.name = transform.name  # before super().__init__(), which names the step's Stats after it
        super().__init__()
        self.transform = transform
        self.text_key = text_key

    def _records(self, docs: DocumentsPipeline):
        for doc in docs:
            self.stat_update("documents_in")
            yield {self.text_key: doc.text, "id": doc.id, **doc.metadata}

    def _flush_stats(self, seen: Counter) -> None:
        # datatrove stores stat_update(key, value=n) as one sample of size n (reported as a mean per
        # document, and as {"total", "mean"} in stats.json), so counters are fed one unit per event, as
        # datatrove's own filters do.
        for key, value in self.transform.stats.items():
            for _ in range(value - seen[key]):
                self.stat_update(key)
            seen[key] = value

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        seen = Counter(self.transform.stats)
        for record in self.transform.process(self._records(data)):
            self._flush_stats(seen)
            record = dict(record)
            text = record.pop(self.text_key)
            doc_id = record.pop("id")
            self.stat_update("documents_out")
            yield Document(text=text, id=doc_id, metadata=record)
        self._flush_stats(seen)
