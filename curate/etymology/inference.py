"""Batched inference: sort sentences by length, cut batches by a token budget, run without autograd.

Labels do not depend on how sentences are batched: padded positions are masked out of the
character pooling and packed out of the BiLSTM, so each sentence sees only its own tokens.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import torch

from curate.errors import CurateError
from curate.etymology.backends import HFBackend, NativeBackend, load_backend

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent.parent / "models" / "etymology-default"

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
        threads: int | None = None, amp_dtype: str = "float16",
    ):
        self.backend = backend
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        if self.device.type == "cpu":
            torch.set_num_threads(threads or os.cpu_count() or 1)
        self.batch_tokens = max(1, batch_tokens)
        self.amp_dtype = {"float16": torch.float16, "bfloat16": torch.bfloat16}[amp_dtype]
        backend.model.to(self.device).eval()

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
        """Labels and probabilities for every token of every sentence, in input order."""
        out: list[Tagged] = [([], []) for _ in sentences]
        autocast = (
            torch.autocast("cuda", dtype=self.amp_dtype) if self.device.type == "cuda" else contextlib.nullcontext()
        )
        with torch.inference_mode(), autocast:
            for idx in self._batches(sentences):
                batch = _to_device(self.backend.encode([sentences[i] for i in idx]), self.device)
                probs = torch.softmax(self.backend.word_logits(batch).float(), dim=-1)
                best, label = probs.max(dim=-1)
                best, label = best.cpu().tolist(), label.cpu().tolist()
                for row, i in enumerate(idx):
                    n = len(sentences[i])
                    out[i] = ([self.labels[x] for x in label[row][:n]], best[row][:n])
        return out
