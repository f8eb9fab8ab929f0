"""`EtymologyTagger`: add per-token etymology labels (and their probabilities) to records.

Records carry `tokens` (a token list, tagged as one sentence) or raw `text` (split into sentences and
tokenised MUDT style; the flat token list is added as `tokens`). Records are buffered `window` at a
time and tagged in length-sorted, token-budgeted batches, so memory stays bounded on endless streams
and output order equals input order.

The token contract. The tagger was trained on MUDT tokens, where articles and proclitics stand alone
(`għall-` `familji`, `l-` `iskola`, `b'` `xi`). Other tokenisers (Moses) keep them fused
(`għall-familji`): one label cannot be right for both halves, and the fused token looks like a
Semitic word to the model. So every input token is re-tokenised MUDT style
(`curate.maltese.etymology.tokenize`), and `non_mudt` says what happens when that splits it:
- `"split"` (default): `tokens` is replaced by the MUDT tokens, labels are per MUDT token, and
  `etymology_source[j]` is the index of the input token that MUDT token j came from (to re-align other
  token-level columns). Downstream transforms (`ConditionalPipeline`) then act on the right pieces:
  `għall-` is transliterated, `familji` kept.
- `"map"`: `tokens` is kept; a fused token gets the label of its host word (its last piece that is not
  an article or proclitic: `familji` for `għall-familji`), counted in `tokens_fused`. The token count
  stays, so other columns stay aligned, but a pipeline treats the fused token as one word.
- `"refuse"`: a `CurateError` naming the record and token.
Tokens MUDT would not split (the MUDT files, text tokenised here) are tagged unchanged in every mode.
Moses' `Dr .` stays two tokens (MUDT writes `Dr.`): re-tokenising splits, it never merges.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from curate.errors import CurateError
from curate.transforms.base import Transform

NON_MUDT = ("split", "map", "refuse")


def _host(pieces: Sequence[str]) -> int:
    """Index of the word a fused token is about: its last piece that is not an article or proclitic."""
    for j in range(len(pieces) - 1, -1, -1):
        if not pieces[j].endswith(("-", "'")) and any(c.isalnum() for c in pieces[j]):
            return j
    return len(pieces) - 1


def take_joined(tagged: Iterator[tuple[list[str], list[float]]], n: int) -> tuple[list[str], list[float]]:
    """The next `n` tagged sentences of `tagged` as one record's labels and probabilities."""
    labels: list[str] = []
    probs: list[float] = []
    for _ in range(n):
        sentence_labels, sentence_probs = next(tagged)
        labels += sentence_labels
        probs += sentence_probs
    return labels, probs


class EtymologyTagger(Transform):
    name = "etymology"

    def __init__(
        self, model: str | Path | None = None, device: str | None = None, batch_tokens: int = 8192,
        window: int = 1024, tokens_key: str = "tokens", text_key: str = "text",
        labels_key: str = "etymology", probs_key: str = "etymology_prob", non_mudt: str = "split",
    ):
        super().__init__()
        if non_mudt not in NON_MUDT:
            raise CurateError(f"non_mudt must be one of {', '.join(NON_MUDT)}, got {non_mudt!r}")
        self.non_mudt = non_mudt
        self.source_key = f"{labels_key}_source"
        self._pieces_cache: dict[str, list[str]] = {}
        self._records_seen = 0
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
            from curate.extras import require

            require("the etymology tagger")  # one clear error without the maltese extra
            from curate.maltese.etymology.inference import EtymologyEngine

            self._engine = EtymologyEngine.from_pretrained(self.model, device=self.device, batch_tokens=self.batch_tokens)
        return self._engine

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_engine": None}

    def tag_sentences(self, sentences: Sequence[Sequence[str]]) -> list[tuple[list[str], list[float]]]:
        """Labels and chosen-label probabilities for pre-tokenised sentences, in input order."""
        return self.engine.tag(sentences)

    def _pieces(self, token: str) -> list[str]:
        hit = self._pieces_cache.get(token)
        if hit is None:
            from curate.maltese.etymology.tokenize import tokenize

            if len(self._pieces_cache) >= 200_000:
                self._pieces_cache.clear()
            hit = self._pieces_cache[token] = tokenize(token) or [token]  # whitespace-only: as is
        return hit

    def _sentences_of(self, record: dict) -> tuple[list[list[str]], list[list[str]] | None] | None:
        """MUDT sentences to tag, and for a `tokens` record the MUDT pieces of each input token."""
        self._records_seen += 1
        tokens = record.get(self.tokens_key)
        if tokens is not None:
            pieces = [self._pieces(str(t)) for t in tokens]
            if all(len(p) == 1 and p[0] == t for p, t in zip(pieces, tokens)):
                return [list(tokens)], None
            if self.non_mudt == "refuse":
                bad = next(t for p, t in zip(pieces, tokens) if len(p) != 1 or p[0] != t)
                raise CurateError(f"record {self._records_seen}: token {bad!r} is not a MUDT token (MUDT splits it "
                                  f"into {self._pieces(str(bad))}); tokenise MUDT style or use non_mudt='split'")
            return [[x for p in pieces for x in p]], pieces
        text = record.get(self.text_key)
        if text is None:
            return None
        from curate.maltese.etymology.tokenize import split_sentences, tokenize

        return [tokenize(s) for s in split_sentences(str(text))], None

    def process(self, records: Iterable[dict]) -> Iterator[dict]:
        window: list[tuple[dict, tuple | None]] = []
        self._records_seen = 0  # for error messages: the record's position in this stream
        for record in records:
            window.append((record, self._sentences_of(record)))
            if len(window) >= self.window:
                yield from self._flush(window)
                window = []
        if window:
            yield from self._flush(window)

    def _flush(self, window: list[tuple[dict, tuple | None]]) -> Iterator[dict]:
        flat = [s for _, found in window if found for s in found[0]]
        tagged = iter(self.tag_sentences(flat))
        for record, found in window:
            out = dict(record)
            if found is None:
                self.count("records_without_tokens_or_text")
                out[self.labels_key], out[self.probs_key] = [], []
                if self.non_mudt == "split":
                    out[self.source_key] = []
                yield out
                continue
            sentences, pieces = found
            labels, probs = take_joined(tagged, len(sentences))
            tokens = [t for s in sentences for t in s]
            source = list(range(len(tokens)))
            if pieces is not None:
                source = [i for i, p in enumerate(pieces) for _ in p]
                self.count("tokens_fused", sum(len(p) > 1 for p in pieces))
                if self.non_mudt == "map":  # one label per input token: its host word's
                    starts = [0]
                    for p in pieces:
                        starts.append(starts[-1] + len(p))
                    hosts = [starts[i] + _host(p) for i, p in enumerate(pieces)]
                    labels, probs = [labels[j] for j in hosts], [probs[j] for j in hosts]
                    tokens, source = list(record[self.tokens_key]), list(range(len(pieces)))
            if self.tokens_key not in record or (pieces is not None and self.non_mudt == "split"):
                out[self.tokens_key] = tokens
            out[self.labels_key], out[self.probs_key] = labels, probs
            if self.non_mudt == "split":
                out[self.source_key] = source
            self.count("records_tagged")
            self.count("tokens_tagged", len(labels))
            yield out
