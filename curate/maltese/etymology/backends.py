"""Two interchangeable ways to turn sentences into per-word label scores.

`NativeBackend` wraps the from-scratch `EtymologyModel`; `HFBackend` wraps any Hugging Face
token-classification model and aligns its subwords to words (a word is scored at its first subword).
Both expose the same `encode(sentences) -> batch` and `word_logits(batch) -> [B, T, labels]`, so
the trainer and the inference engine never ask which one they hold.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from transformers.utils import logging as hf_logging

from curate.maltese.etymology.features import TypeFeaturizer
from curate.maltese.etymology.lexicon import load_lexicon
from curate.maltese.etymology.memoriser import Memoriser
from curate.maltese.etymology.model import CONTEXT_FEATURES, EtymologyModel

hf_logging.disable_progress_bar()  # no "Loading weights" bars in CLI output and logs

_SENTENCE_PUNCT = frozenset('.!?:;"“(…')


class Layout(NamedTuple):
    types: list[str]  # distinct types of the batch, first occurrence order
    ids: np.ndarray  # type index of every token, sentence after sentence
    rows: np.ndarray  # sentence of every token
    cols: np.ndarray  # position of every token
    token_types: np.ndarray  # [B, T] type index (0 at padding)
    mask: np.ndarray  # [B, T] 1 at real tokens
    context: np.ndarray  # [B, T, CONTEXT_FEATURES]


class NativeBackend:
    kind = "native"

    def __init__(self, model: EtymologyModel):
        self.model = model
        config = model.config
        self.labels: list[str] = list(config.labels)
        self.featurizer = TypeFeaturizer(config.alphabet, tuple(config.ngrams), load_lexicon(), config.max_chars,
                                         wordlists=getattr(config, "wordlists", False))
        self.memoriser = Memoriser(len(self.labels), config.memory)

    def set_memory(self, counts: dict[str, list[int]]) -> None:
        self.model.config.memory = counts
        self.memoriser = Memoriser(len(self.labels), counts)

    def layout(self, sentences: Sequence[Sequence[str]]) -> Layout:
        """Where each token sits and which distinct type it is; per-token Python work is one dict lookup."""
        lengths = np.fromiter((len(s) for s in sentences), dtype=np.int64, count=len(sentences))
        n, width = len(sentences), int(lengths.max(initial=0))
        type_index: dict[str, int] = {}
        ids = np.fromiter((type_index.setdefault(t, len(type_index)) for s in sentences for t in s), dtype=np.int64)
        rows = np.repeat(np.arange(n), lengths)
        cols = np.arange(len(ids)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        types = list(type_index) or [""]
        token_types = np.zeros((n, width), dtype=np.int64)
        token_types[rows, cols] = ids
        mask = np.zeros((n, width), dtype=np.int64)
        mask[rows, cols] = 1
        context = np.zeros((n, width, CONTEXT_FEATURES), dtype=np.float32)
        punct = np.fromiter((t in _SENTENCE_PUNCT for t in types), dtype=np.float32, count=len(types))[ids]
        context[rows, cols, 0] = cols == 0
        context[rows, cols, 1] = np.where(cols > 0, np.concatenate([[0.0], punct[:-1]]) if len(ids) else punct, 0.0)
        context[rows, cols, 2] = cols == np.repeat(lengths - 1, lengths)
        return Layout(types, ids, rows, cols, token_types, mask, context)

    def type_inputs(self, types: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(character ids [n, max_chars], lexical features, memoriser features) of new types, uncached:
        the caller (`TypeStore`) keeps the encoded result instead, which is smaller."""
        featurizer = self.featurizer
        try:  # vectorised featurisation of many types (engineer A's module, landing alongside)
            from curate.maltese.etymology.batch_features import featurize_types
        except ImportError:
            chars = np.stack([featurizer._chars(t) for t in types])
            features = np.stack([featurizer._features(t) for t in types])
        else:
            chars, features = featurize_types(featurizer, list(types))
        memo = np.stack([self.memoriser.features(t) for t in types])
        # the caller stores the encoded result: the memoriser's own per-type cache (up to 500k small
        # arrays, ~300 B each) would only make the process grow with the vocabulary
        self.memoriser._cache.clear()
        return chars, np.asarray(features, dtype=np.float32), memo

    def encode(self, sentences: Sequence[Sequence[str]], memory: Sequence[np.ndarray] | None = None) -> dict:
        """Tensors for one batch (training, and the uncached path); the rest is numpy indexing."""
        lay = self.layout(sentences)
        n, width = lay.token_types.shape
        encoded = [self.featurizer(t) for t in lay.types]
        chars = np.stack([c for c, _ in encoded])
        chars = chars[:, : int((chars != 0).sum(axis=1).max())]  # pad only to the longest type of the batch
        memo = np.zeros((n, width, self.memoriser.n_features), dtype=np.float32)
        if memory is not None:  # training: out-of-fold memoriser features per token
            memo[lay.rows, lay.cols] = np.concatenate(memory) if len(lay.ids) else 0.0
        else:
            memo[lay.rows, lay.cols] = np.stack([self.memoriser.features(t) for t in lay.types])[lay.ids]
        inputs = {
            "token_types": torch.from_numpy(lay.token_types),
            "type_chars": torch.from_numpy(chars),
            "type_features": torch.from_numpy(np.stack([f for _, f in encoded])),
            "memory": torch.from_numpy(memo),
            "context": torch.from_numpy(lay.context),
            "attention_mask": torch.from_numpy(lay.mask),
        }
        return {"inputs": inputs, "word_mask": inputs["attention_mask"].bool()}

    def word_logits(self, batch: dict) -> torch.Tensor:
        return self.model(**batch["inputs"]).logits

    def save(self, out_dir: Path) -> None:
        self.model.save_pretrained(out_dir)


class HFBackend:
    """Any `AutoModelForTokenClassification` + its tokenizer; no memoriser input."""

    kind = "hf"

    def __init__(self, model: torch.nn.Module, tokenizer, max_length: int = 512):
        self.model = model
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
        self.unaligned_words = 0  # words that got no subword (truncation, empty tokenisation)

    def set_memory(self, counts: dict[str, list[int]]) -> None:  # the backbone has no memoriser input
        return None

    def encode(self, sentences: Sequence[Sequence[str]], memory: Sequence[np.ndarray] | None = None) -> dict:
        enc = self.tokenizer(
            [list(s) for s in sentences], is_split_into_words=True, truncation=True,
            max_length=self.max_length, padding=True, return_tensors="pt",
        )
        width = max((len(s) for s in sentences), default=0)
        word_index = torch.zeros((len(sentences), width), dtype=torch.long)
        word_mask = torch.zeros((len(sentences), width), dtype=torch.bool)
        for b, tokens in enumerate(sentences):
            for position, word in enumerate(enc.word_ids(b)):
                if word is not None and not word_mask[b, word]:
                    word_index[b, word] = position
                    word_mask[b, word] = True
            self.unaligned_words += len(tokens) - int(word_mask[b].sum())
        return {"inputs": dict(enc), "word_index": word_index, "word_mask": word_mask}

    def word_logits(self, batch: dict) -> torch.Tensor:
        logits = self.model(**batch["inputs"]).logits  # [B, subwords, L]
        index = batch["word_index"].unsqueeze(-1).expand(-1, -1, logits.shape[-1])
        # words without a subword keep flat scores (they are counted in unaligned_words)
        return torch.gather(logits, 1, index) * batch["word_mask"].unsqueeze(-1)

    def save(self, out_dir: Path) -> None:
        self.model.save_pretrained(out_dir)
        self.tokenizer.save_pretrained(out_dir)


def load_backend(path: str | Path) -> NativeBackend | HFBackend:
    """Load a saved model folder (native or any HF token classifier) or a hub id."""
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    config_path = Path(path) / "config.json"
    if config_path.is_file() and json.loads(config_path.read_text(encoding="utf-8")).get("model_type") == "maltese-etymology":
        return NativeBackend(EtymologyModel.from_pretrained(path))
    model = AutoModelForTokenClassification.from_pretrained(path)
    return HFBackend(model, AutoTokenizer.from_pretrained(path))
