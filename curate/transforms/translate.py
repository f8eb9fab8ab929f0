"""Machine translation with a transformers seq2seq model (NLLB, M2M100, Marian, or any encoder-decoder).

    from curate.transforms import Seq2SeqTranslator
    mt = Seq2SeqTranslator("facebook/nllb-200-distilled-600M", target_language="ky", source_language="en")
    ds = ds.map(mt.batch, batched=True, batch_size=256)      # translates "title" and "description"

Texts are sorted by token length and cut into batches bounded by `batch_size` rows and `max_batch_tokens`
padded tokens, so a batch wastes little on padding; the original order is restored afterwards. On GPU
the model runs in bfloat16. Every translation is stored in an SQLite cache keyed by (model fingerprint,
generation settings, source language, target language, text), so a rerun translates nothing twice.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from curate.errors import CurateError
from curate.transforms.base import Transform

# ISO3, NLLB_CODES, TranslationCache and model_fingerprint stay importable from here, where they used to live.
from curate.transforms.mt_languages import ISO3, NLLB_CODES, language_setup  # noqa: F401
from curate.transforms.translation_cache import TranslationCache, model_fingerprint


class Seq2SeqTranslator(Transform):
    name = "seq2seq_translate"

    def __init__(self, model: str, target_language: str, source_language: str = "en",
                 fields: tuple[str, ...] = ("title", "description"), device: str = "auto", batch_size: int = 32,
                 max_batch_tokens: int = 8192, max_new_tokens: int = 256, num_beams: int = 1,
                 cache_dir: str | Path | None = None, model_name: str | None = None, buffer_size: int = 512,
                 provenance: bool = True) -> None:
        super().__init__()
        self.model_path, self.target_language, self.source_language = str(model), target_language, source_language
        self.fields, self.device_name, self.batch_size = tuple(fields), device, batch_size
        self.max_batch_tokens, self.max_new_tokens, self.num_beams = max_batch_tokens, max_new_tokens, num_beams
        self.model_name = model_name or (Path(model).name if Path(model).is_dir() else str(model))
        self.buffer_size, self.provenance = buffer_size, provenance
        root = Path(cache_dir) if cache_dir else Path(os.environ.get("CURATE_CACHE", "~/.cache/curate")).expanduser()
        self.cache_path = root / "translate" / "translations.sqlite"
        self._cache: TranslationCache | None = None
        self._model = self._tokenizer = self._device = None
        self._fingerprint: str | None = None

    # ---- model ---------------------------------------------------------------------------------
    def _load(self) -> None:
        if self._model is not None:
            return
        from curate.extras import require

        require("the translation step (Seq2SeqTranslator)")
        import torch
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        want = self.device_name
        if want == "auto":
            want = "cuda" if torch.cuda.is_available() else "cpu"
        if want.startswith("cuda") and not torch.cuda.is_available():
            raise CurateError(f"--device {want} asked for, but torch sees no CUDA device")
        dtype = torch.bfloat16 if want.startswith("cuda") else torch.float32
        try:
            self._tokenizer = AutoTokenizer.from_pretrained(self.model_path)
            model = AutoModelForSeq2SeqLM.from_pretrained(self.model_path, dtype=dtype, use_safetensors=True)
        except OSError as exc:
            raise CurateError(f"cannot load the MT model {self.model_path!r} (a local folder or a hub id with "
                              f"safetensors weights): {exc}") from None
        self._model = model.to(want).eval()
        self._device = want

    @property
    def fingerprint(self) -> str:
        if self._fingerprint is None:
            self._fingerprint = model_fingerprint(self.model_path)
        return self._fingerprint

    def _language_setup(self, src: str, tgt: str) -> tuple[str, dict[str, Any]]:
        """Prefix for each source text and extra generate() kwargs, for the model family at hand."""
        return language_setup(self._tokenizer, self.model_path, src, tgt)

    # ---- translation ---------------------------------------------------------------------------
    def _batches(self, lengths: list[int]) -> list[list[int]]:
        order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
        batches: list[list[int]] = []
        current: list[int] = []
        for i in order:
            width = lengths[current[0]] if current else lengths[i]  # longest first: the first row sets the width
            if current and (len(current) >= self.batch_size or (len(current) + 1) * width > self.max_batch_tokens):
                batches.append(current)
                current = []
            current.append(i)
        if current:
            batches.append(current)
        return batches

    def generate(self, texts: list[str], src: str, tgt: str, batched: bool = True) -> tuple[list[str], int]:
        """Translate without the cache; returns (translations, generated tokens). `batched=False` is the
        one-text-at-a-time baseline the benchmark compares against."""
        import torch

        self._load()
        prefix, gen_kwargs = self._language_setup(src, tgt)
        tok, model = self._tokenizer, self._model
        inputs = [prefix + t for t in texts]
        lengths = [len(ids) for ids in tok(inputs, truncation=True, max_length=1024)["input_ids"]]
        batches = self._batches(lengths) if batched else [[i] for i in range(len(texts))]
        out: list[str] = [""] * len(texts)
        generated = 0
        pad = tok.pad_token_id
        # Learned/sinusoidal position tables end somewhere: never ask for more tokens than the decoder has.
        max_new = min(self.max_new_tokens, getattr(model.config, "max_position_embeddings", 1 << 20) - 1)
        for idx in batches:
            enc = tok([inputs[i] for i in idx], return_tensors="pt", padding=True, truncation=True, max_length=1024)
            enc = {k: v.to(self._device) for k, v in enc.items()}
            with torch.inference_mode():
                seqs = model.generate(**enc, max_new_tokens=max_new, num_beams=self.num_beams,
                                      **gen_kwargs)
            body = seqs[:, 1:]  # drop the decoder start token
            generated += int((body != pad).sum()) if pad is not None else body.numel()
            for i, text in zip(idx, tok.batch_decode(seqs, skip_special_tokens=True), strict=True):
                out[i] = text.strip()
        self.count("generated_tokens", generated)
        self.count("model_batches", len(batches))
        return out, generated

    def translate(self, texts: list[str], source_language: str | None = None,
                  target_language: str | None = None) -> list[str]:
        """Translate through the cache; only texts never seen with this model and settings reach the model."""
        src, tgt = source_language or self.source_language, target_language or self.target_language
        if self._cache is None:
            self._cache = TranslationCache(self.cache_path)
        settings = f"beams={self.num_beams};max_new={self.max_new_tokens}"
        keys = [TranslationCache.key(self.fingerprint, settings, src, tgt, t) for t in texts]
        known = self._cache.get_many(sorted(set(keys)))
        todo = sorted({t for t, k in zip(texts, keys, strict=True) if k not in known and t.strip()})
        self.count("cache_hits", sum(1 for k in keys if k in known))
        if todo:
            t0 = time.perf_counter()
            done, _ = self.generate(todo, src, tgt)
            self.count("translated_texts", len(todo))
            self.count("mt_seconds_x1000", int((time.perf_counter() - t0) * 1000))
            rows = [(TranslationCache.key(self.fingerprint, settings, src, tgt, t), self.model_name, src, tgt, t, d)
                    for t, d in zip(todo, done, strict=True)]
            self._cache.put_many(rows)
            known.update((r[0], r[5]) for r in rows)
        return [known.get(k, "") for k in keys]

    # ---- Transform interface -------------------------------------------------------------------
    def _flush(self, buffer: list[dict]) -> Iterator[dict]:
        texts = [str(r.get(f) or "") for f in self.fields for r in buffer]
        done = self.translate(texts)
        n = len(buffer)
        for j, record in enumerate(buffer):
            out = dict(record)
            for k, f in enumerate(self.fields):
                if record.get(f) is not None:
                    out[f] = done[k * n + j]
            if self.provenance:
                out["language"] = self.target_language
                out["origin"] = "machine_translation"
                out["mt_system"] = self.model_name
            self.count("records")
            yield out

    def process(self, records: Iterable[dict]) -> Iterator[dict]:
        buffer: list[dict] = []
        for record in records:
            buffer.append(record)
            if len(buffer) >= self.buffer_size:
                yield from self._flush(buffer)
                buffer = []
        if buffer:
            yield from self._flush(buffer)
