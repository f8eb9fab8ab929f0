"""Adapter that runs any `Transform` inside a datatrove pipeline."""

from __future__ import annotations

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

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        before = dict(self.transform.stats)
        for record in self.transform.process(self._records(data)):
            record = dict(record)
            text = record.pop(self.text_key)
            doc_id = record.pop("id")
            self.stat_update("documents_out")
            yield Document(text=text, id=doc_id, metadata=record)
        for key, value in self.transform.stats.items():
            if value - before.get(key, 0):
                self.stat_update(key, value=value - before.get(key, 0))
