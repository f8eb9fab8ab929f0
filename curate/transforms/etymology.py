"""`EtymologyTagger`: add per-token etymology labels (and their probabilities) to records.

Records carry `tokens` (a list of MUDT-style tokens, tagged as one sentence) or raw `text` (split
into sentences and tokenised MUDT style; the flat token list is added as `tokens`). Records are
buffered `window` at a time and tagged in length-sorted, token-budgeted batches, so memory stays
bounded on endless streams and output order equals input order.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from curate.transforms.base import Transform


class EtymologyTagger(Transform):
    name = "etymology"

    def __init__(
        self, model: str | Path | None = None, device: str | None = None, batch_tokens: int = 8192,
        window: int = 1024, tokens_key: str = "tokens", text_key: str = "text",
        labels_key: str = "etymology", probs_key: str = "etymology_prob",
    ):
        super().__init__()
        self.model = model
        self.device = device
        self.batch_tokens = batch_tokens
        self.window = window
        self.tokens_key, self.text_key = tokens_key, text_key
        self.labels_key, self.probs_key = labels_key, probs_key
        self._engine = None  # loaded on first use: cheap to construct, picklable for datatrove workers

    @property
    def engine(self):
        if self._engine is None:
            from curate.etymology.inference import EtymologyEngine

            self._engine = EtymologyEngine.from_pretrained(self.model, device=self.device, batch_tokens=self.batch_tokens)
        return self._engine

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_engine": None}

    def tag_sentences(self, sentences: Sequence[Sequence[str]]) -> list[tuple[list[str], list[float]]]:
        """Labels and chosen-label probabilities for pre-tokenised sentences, in input order."""
        return self.engine.tag(sentences)

    def _sentences_of(self, record: dict) -> list[list[str]] | None:
        tokens = record.get(self.tokens_key)
        if tokens is not None:
            return [list(tokens)]
        text = record.get(self.text_key)
        if text is None:
            return None
        from curate.etymology.tokenize import split_sentences, tokenize

        return [tokenize(s) for s in split_sentences(text)]

    def process(self, records: Iterable[dict]) -> Iterator[dict]:
        window: list[tuple[dict, list[list[str]] | None]] = []
        for record in records:
            window.append((record, self._sentences_of(record)))
            if len(window) >= self.window:
                yield from self._flush(window)
                window = []
        if window:
            yield from self._flush(window)

    def _flush(self, window: list[tuple[dict, list[list[str]] | None]]) -> Iterator[dict]:
        flat = [s for _, sentences in window if sentences for s in sentences]
        tagged = iter(self.tag_sentences(flat))
        for record, sentences in window:
            out = dict(record)
            if sentences is None:
                self.count("records_without_tokens_or_text")
                out[self.labels_key], out[self.probs_key] = [], []
                yield out
                continue
            labels: list[str] = []
            probs: list[float] = []
            for _ in sentences:
                sentence_labels, sentence_probs = next(tagged)
                labels += sentence_labels
                probs += sentence_probs
            if self.tokens_key not in record:
                out[self.tokens_key] = [t for s in sentences for t in s]
            out[self.labels_key], out[self.probs_key] = labels, probs
            self.count("records_tagged")
            self.count("tokens_tagged", len(labels))
            yield out
