"""Batched inference: sort sentences by length, cut batches by a token budget, run without autograd.

With the native model, everything computed from a token type alone is computed once per type per
process and kept in a bounded LRU store (`typecache.py`); a batch encodes only its new types.
`tag_stream` tags an endless stream in bounded windows.

Labels do not depend on how sentences are batched: padded positions are masked out of the
character pooling and packed out of the BiLSTM, so each sentence sees only its own tokens.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import torch

from curate.errors import CurateError
from curate.maltese.etymology.backends import HFBackend, NativeBackend, load_backend
from curate.maltese.etymology.typecache import TypeStore

DEFAULT_MODEL_DIR = Path(__file__).resolve().parents[2] / "models" / "etymology-default"

Tagged = tuple[list[str], list[float]]  # labels, probability of each chosen label


def _to_device(obj, device: torch.device):
    if isinstance(obj, torch.Tensor):
        if device.type == "cuda":
            return obj.pin_memory().to(device, non_blocking=True)
        return obj
    if isinstance(obj, dict):
        return {k: _to_device(v, device) for k, v in obj.items()}
    return obj


class EtymologyEngine:
    def __init__(
        self, backend: NativeBackend | HFBackend, device: str | None = None, batch_tokens: int = 8192,
        threads: int | None = None, amp_dtype: str = "float16", type_cache_size: int = 262_144,
        max_sentence_tokens: int = 512,
    ):
        self.backend = backend
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        if self.device.type == "cpu":
            torch.set_num_threads(threads or os.cpu_count() or 1)
        self.batch_tokens = max(1, batch_tokens)
        self.amp_dtype = {"float16": torch.float16, "bfloat16": torch.bfloat16}[amp_dtype]
        backend.model.to(self.device).eval()
        self.max_sentence_tokens = max(1, max_sentence_tokens)
        self.new_types = self.long_sentences_cut = 0
        # native model: per-type work cached (typecache.py); a batch never has more distinct types than tokens
        self._char_tables = backend.model.char_tables() if isinstance(backend, NativeBackend) else None
        self.store = (
            TypeStore(backend.model.config.word_dim,
                      max(type_cache_size, self.batch_tokens, self.max_sentence_tokens), self.device)
            if isinstance(backend, NativeBackend) and type_cache_size > 0 else None
        )

    @classmethod
    def from_pretrained(cls, path: str | Path | None = None, **kwargs) -> EtymologyEngine:
        path = Path(path) if path else DEFAULT_MODEL_DIR
        if path == DEFAULT_MODEL_DIR and not (path / "config.json").is_file():
            raise CurateError(f"default etymology model missing at {path}; run scripts/train_etymology.py")
        if path.exists() and not (path / "config.json").is_file():
            raise CurateError(f"{path}: not a model folder (no config.json)")
        if not path.exists() and (path.is_absolute() or str(path).startswith(".") or str(path).count("/") != 1):
            raise CurateError(f"model folder {path} does not exist (nor is it a hub id 'owner/name')")
        try:
            backend = load_backend(path)
        except OSError as exc:  # hub id that cannot be resolved offline, unreadable weights
            raise CurateError(f"cannot load etymology model {path}: {exc}") from exc
        return cls(backend, **kwargs)

    @property
    def labels(self) -> list[str]:
        return self.backend.labels

    def _batches(self, sentences: Sequence[Sequence[str]]) -> Iterator[list[int]]:
        order = sorted((i for i in range(len(sentences)) if sentences[i]), key=lambda i: len(sentences[i]))
        batch: list[int] = []
        for i in order:  # ascending length: the newest sentence is the widest, so padded size = count * its length
            if batch and (len(batch) + 1) * len(sentences[i]) > self.batch_tokens:
                yield batch
                batch = []
            batch.append(i)
        if batch:
            yield batch

    def tag(self, sentences: Sequence[Sequence[str]]) -> list[Tagged]:
        """Labels and probabilities for every token of every sentence, in input order.

        A sentence longer than `max_sentence_tokens` is tagged in consecutive pieces of that length
        (the context encoder sees two tokens either side, so only the tokens at a cut can differ)."""
        limit = self.max_sentence_tokens
        if all(len(s) <= limit for s in sentences):
            return self._tag(sentences)
        pieces: list[Sequence[str]] = []
        owner: list[int] = []
        for i, s in enumerate(sentences):
            for start in range(0, max(len(s), 1), limit):
                pieces.append(s[start : start + limit])
                owner.append(i)
            self.long_sentences_cut += len(s) > limit
        out: list[Tagged] = [([], []) for _ in sentences]
        for i, (labels, probs) in zip(owner, self._tag(pieces), strict=True):
            out[i][0].extend(labels)
            out[i][1].extend(probs)
        return out

    def tag_stream(
        self, sentences: Iterable[Sequence[str]], window_tokens: int = 65_536
    ) -> Iterator[tuple[Sequence[str], list[str], list[float]]]:
        """`(tokens, labels, probabilities)` for an endless stream of sentences, in input order.

        Sentences are buffered up to `window_tokens` tokens and tagged together, so memory is bounded
        and output starts before the input ends; the type cache carries over from window to window."""
        window: list[Sequence[str]] = []
        size = 0
        try:
            for sentence in sentences:
                window.append(sentence)
                size += len(sentence)
                if size >= window_tokens:
                    yield from self._tagged(window)
                    window, size = [], 0
        except Exception:  # the source failed (bad input): what was read before it is still tagged
            yield from self._tagged(window)
            raise
        yield from self._tagged(window)

    def _tagged(self, window: list[Sequence[str]]) -> Iterator[tuple[Sequence[str], list[str], list[float]]]:
        for tokens, (labels, probs) in zip(window, self.tag(window), strict=True):
            yield tokens, labels, probs

    def _tag(self, sentences: Sequence[Sequence[str]]) -> list[Tagged]:
        out: list[Tagged] = [([], []) for _ in sentences]
        autocast = (
            torch.autocast("cuda", dtype=self.amp_dtype) if self.device.type == "cuda" else contextlib.nullcontext()
        )
        with torch.inference_mode(), autocast:
            for idx in self._batches(sentences):
                batch = [sentences[i] for i in idx]
                logits = self._logits_cached(batch) if self.store is not None else self._logits_plain(batch)
                probs = torch.softmax(logits.float(), dim=-1)
                best, label = probs.max(dim=-1)
                best, label = best.cpu().tolist(), label.cpu().tolist()
                names = self.labels
                for row, i in enumerate(idx):
                    n = len(sentences[i])
                    out[i] = ([names[x] for x in label[row][:n]], best[row][:n])
        return out

    def _logits_plain(self, batch: list[Sequence[str]]) -> torch.Tensor:
        return self.backend.word_logits(_to_device(self.backend.encode(batch), self.device))

    def _logits_cached(self, batch: list[Sequence[str]]) -> torch.Tensor:
        lay = self.backend.layout(batch)
        slots = self.store.slots(lay.types, self._project_types)
        token_slots = _to_device(torch.from_numpy(slots[lay.token_types]), self.device)
        projected = self.store.data[token_slots]
        context = _to_device(torch.from_numpy(lay.context), self.device)
        mask = _to_device(torch.from_numpy(lay.mask), self.device)
        return self.backend.model.logits_from_projected(projected, context, mask)

    def _project_types(self, types: list[str]) -> torch.Tensor:
        """Encode new types in chunks of similar length (less character padding); rows in input order."""
        order = sorted(range(len(types)), key=lambda i: len(types[i]))
        parts = []
        for start in range(0, len(types), 4096):
            chunk = [types[i] for i in order[start : start + 4096]]
            chars, features, memo = self.backend.type_inputs(chunk)
            tensors = [_to_device(torch.from_numpy(a), self.device) for a in (chars, features, memo)]
            parts.append(self.backend.model.project_types(*tensors, tables=self._char_tables).float())
        self.new_types += len(types)
        out = torch.cat(parts)
        inverse = torch.empty(len(types), dtype=torch.long)
        inverse[torch.as_tensor(order)] = torch.arange(len(types))
        return out[inverse.to(out.device)]

    def stats(self) -> dict[str, int]:
        out = {"new_types_encoded": self.new_types, "long_sentences_cut": self.long_sentences_cut}
        if self.store is not None:
            out.update(self.store.stats())
        return out
