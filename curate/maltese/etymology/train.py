"""Train a tagger (native model or any HF token-classification backbone) on labelled sentences."""

from __future__ import annotations

import dataclasses
import json
import os
import random
import shutil
import tempfile
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from curate.errors import CurateError, OptionError
from curate.maltese.etymology.backends import HFBackend, NativeBackend
from curate.maltese.etymology.lexicon import load_lexicon
from curate.maltese.etymology.memoriser import Memoriser, jackknife
from curate.maltese.etymology.model import EtymologyConfig, EtymologyModel


@dataclass
class TrainConfig:
    epochs: int = 30
    batch_size: int = 16  # sentences per step
    lr: float | None = None  # default 3e-3 for the native model, 5e-5 for a backbone
    weight_decay: float = 1e-4
    clip: float = 1.0
    jackknife_folds: int = 10
    seed: int = 0
    threads: int | None = None  # torch CPU threads; None = all cores
    backbone: str | None = None  # HF token-classification backbone (local folder or hub id)
    max_length: int = 512  # subwords per sentence for a backbone
    # probability that a type's translation-table evidence is hidden in a batch (native model): text
    # outside the tables must look normal to the model, not like a case it never saw
    lexicon_dropout: float = 0.3
    # table distillation (native model, distill.py): pool types (soft-labelled by a first model that reads
    # the tables) seen per epoch by a second model that must learn them from spelling; 0 = one model only
    distill_types: int = 16384
    distill_weight: float = 1.0
    distill_batch: int = 256
    distill_rounds: int = 2  # each round's student is the next round's teacher
    # common English words (curate/data/english) learnt as Code-Switching per epoch, tables hidden (distill.py)
    english_types: int = 0


def split_options(options: dict[str, Any] | None) -> tuple[TrainConfig, dict[str, Any]]:
    """Split one flat options dict (from --model-config) into training options and model config keys."""
    options = dict(options or {})
    train_keys = {f.name for f in dataclasses.fields(TrainConfig)}
    train = TrainConfig(**{k: options.pop(k) for k in list(options) if k in train_keys})
    model_keys = set(EtymologyConfig().to_dict())
    unknown = sorted(k for k in options if k not in model_keys)
    if unknown:
        raise CurateError(f"unknown model-config keys {unknown}; training keys: {sorted(train_keys)}")
    return train, options


def parse_model_config(value: str | None) -> dict[str, Any]:
    """`--model-config` is inline JSON or a path to a JSON file."""
    if not value:
        return {}
    text = Path(value).read_text(encoding="utf-8") if not value.lstrip().startswith("{") else value
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CurateError(f"--model-config {value!r}: not valid JSON ({exc})") from exc
    if not isinstance(parsed, dict):
        raise CurateError(f"--model-config {value!r}: expected a JSON object")
    return parsed


def new_backend(labels: Sequence[str], sentences: Sequence[Sequence[str]], train: TrainConfig, model_kwargs: dict):
    if train.backbone:
        from transformers import AutoModelForTokenClassification, AutoTokenizer

        model = AutoModelForTokenClassification.from_pretrained(
            train.backbone, num_labels=len(labels), id2label=dict(enumerate(labels)),
            label2id={label: i for i, label in enumerate(labels)}, ignore_mismatched_sizes=True,
        )
        return HFBackend(model, AutoTokenizer.from_pretrained(train.backbone), max_length=train.max_length)
    alphabet = "".join(sorted({c for s in sentences for t in s for c in t.lower()}))
    config = EtymologyConfig(labels=list(labels), alphabet=alphabet, ngrams=list(load_lexicon().ngrams), **model_kwargs)
    return NativeBackend(EtymologyModel(config))


def train_tagger(
    sentences: Sequence[Sequence[str]], label_ids: Sequence[Sequence[int]], labels: Sequence[str],
    train: TrainConfig | None = None, model_kwargs: dict | None = None, exclude: Collection[str] = (),
) -> NativeBackend | HFBackend:
    """Train from scratch (or fine-tune a backbone); returns the backend in eval mode.

    With `train.distill_types` the native model is trained 1 + `distill_rounds` times: the first reads the
    tables and labels the table types absent from `sentences` and from `exclude` (cross-validation passes
    the test fold's forms); each next model learns the previous one's labels of those types from spelling
    alongside the sentences (`distill.py`), and labels them in turn for the next round."""
    train = train or TrainConfig()
    if train.distill_types > 0 and (train.distill_rounds < 1 or train.distill_batch < 1):
        raise OptionError(f"distill_rounds and distill_batch must be >= 1 when distill_types > 0, got "
                          f"{train.distill_rounds} and {train.distill_batch} (distill_types 0 turns distillation off)")
    if train.english_types > 0 and (train.backbone or train.distill_batch < 1):
        raise OptionError("english_types needs the native model (no backbone) and distill_batch >= 1, got "
                          f"backbone={train.backbone!r}, distill_batch={train.distill_batch}")
    if train.threads:
        torch.set_num_threads(train.threads)
    from curate.maltese.etymology import distill

    seen = {t for s in sentences for t in s}
    sources = []
    if train.english_types > 0:
        words = distill.english_pool(load_lexicon(), seen, exclude)
        sources.append((words, distill.one_hot(len(words), labels, "Code-Switching"), train.english_types))
    backend = _fit(sentences, label_ids, labels, train, model_kwargs or {}, sources)
    if backend.kind == "native" and train.distill_types > 0:
        types = distill.pool(backend.featurizer.lexicon, seen, exclude)
        # every round starts from the same seed: rounds differ only by their teacher (what the sweep measured)
        for _ in range(train.distill_rounds if types else 0):
            targets = distill.soft_labels(backend, types)
            backend = _fit(sentences, label_ids, labels, train, model_kwargs or {},
                           [(types, targets, train.distill_types), *sources])
    return backend


def _fit(
    sentences: Sequence[Sequence[str]], label_ids: Sequence[Sequence[int]], labels: Sequence[str],
    train: TrainConfig, model_kwargs: dict, pseudo: Sequence[tuple[list[str], np.ndarray, int]] = (),
) -> NativeBackend | HFBackend:
    """One model from scratch; each `pseudo` source (types, target probabilities, types per epoch) mixes
    batches of types read alone, tables hidden, into every epoch (distill.py)."""
    torch.manual_seed(train.seed)
    rng = random.Random(train.seed)
    backend = new_backend(labels, sentences, train, model_kwargs)
    memory = jackknife(sentences, label_ids, len(labels), train.jackknife_folds, train.seed) if backend.kind == "native" else None
    model = backend.model
    lr = train.lr or (3e-3 if backend.kind == "native" else 5e-5)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=train.weight_decay)
    per_epoch = -(-len(sentences) // train.batch_size)
    pseudo = [p for p in pseudo if p[0] and p[2] > 0] if backend.kind == "native" else []
    if pseudo:
        from curate.maltese.etymology import distill

        no_tables = backend.featurizer.without_tables()
        per_epoch += sum(-(-min(n, len(types)) // train.distill_batch) for types, _, n in pseudo)
    steps = train.epochs * per_epoch
    warmup = max(1, steps // 10)  # linear warm-up, then linear decay to zero
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (steps - step) / max(1, steps - warmup)))
    )
    if backend.kind == "native":
        backend.featurizer.set_lexicon_dropout(train.lexicon_dropout, train.seed)
    model.train()
    for _ in range(train.epochs):
        work = [("gold", idx) for idx in _length_bucketed_batches(sentences, train.batch_size, rng)]
        for k, (types, _, n) in enumerate(pseudo):
            work += [(k, idx) for idx in distill.batches(types, n, train.distill_batch, rng)]
        if pseudo:
            rng.shuffle(work)
        for kind, idx in work:
            if kind != "gold":
                types, targets, _ = pseudo[kind]
                loss = train.distill_weight * distill.loss(backend, no_tables, types, targets, idx)
            else:
                batch = backend.encode([sentences[i] for i in idx], memory=[memory[i] for i in idx] if memory else None)
                gold = torch.full(batch["word_mask"].shape, -100, dtype=torch.long)
                for b, i in enumerate(idx):
                    gold[b, : len(label_ids[i])] = torch.tensor(label_ids[i], dtype=torch.long)
                gold[~batch["word_mask"]] = -100
                logits = backend.word_logits(batch)
                loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), gold.reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), train.clip)
            optimizer.step()
            scheduler.step()
    if backend.kind == "native":
        backend.featurizer.set_lexicon_dropout(0.0, train.seed)
    backend.set_memory(Memoriser.from_sentences(sentences, label_ids, len(labels)).counts)
    model.eval()
    return backend


def _length_bucketed_batches(sentences: Sequence[Sequence[str]], size: int, rng: random.Random) -> list[list[int]]:
    """Shuffled batches of sentences of similar length (less padding), in shuffled order."""
    order = list(range(len(sentences)))
    rng.shuffle(order)
    batches = []
    for start in range(0, len(order), size * 8):
        pool = sorted(order[start : start + size * 8], key=lambda i: len(sentences[i]))
        batches += [pool[j : j + size] for j in range(0, len(pool), size)]
    rng.shuffle(batches)
    return batches


def save_backend(backend: NativeBackend | HFBackend, out_dir: str | Path) -> Path:
    """Write the model folder atomically: into a sibling temp folder, then rename into place."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        backend.save(tmp)
        tmp.chmod(0o755)  # mkdtemp (and the weights writer) make files private; a model folder is for everyone
        for path in tmp.iterdir():
            path.chmod(0o644)
        if out_dir.exists():
            shutil.rmtree(out_dir)
        os.replace(tmp, out_dir)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return out_dir
