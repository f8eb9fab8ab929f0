"""Texts -> rows: sentence split, MUDT-style tokens, etymology labels, the conditional pipelines' columns.

The expensive work is per token type and cached per process (tagger: `curate.maltese.etymology.typecache`;
transliteration: `MalteseTransliterator`'s cache), so a worker gets faster as its unit goes on. Texts
are tagged `window_tokens` at a time across records (one set of batches for many short sentences);
a text longer than `max_part_chars` becomes several rows `<id>#<part>` cut at sentence boundaries
(a sentence longer than `max_part_tokens` tokens is cut too), so one 10 MB line never makes one
10-million-token row.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Iterator

from curate.builders.maltese_corpus.sources import Text
from curate.maltese.etymology.tokenize import split_sentences, tokenize
from curate.maltese.transforms.etymology import take_joined

PIPELINES = ("translit_all", "translit_arabic", "mixed", "translate_all")  # `raw` is `tokens` itself

Part = tuple[str, str, list[list[str]]]  # row id, text, tokens of each sentence


def default_threads() -> int:
    """All cores in the main process; one per worker process (datatrove runs one worker per core).

    datatrove's local executor starts workers with the `multiprocess` package, whose children the
    standard `multiprocessing` module still calls "MainProcess": both are asked (two torch thread
    pools per core made a 2-worker build twice as slow as one worker)."""
    import multiprocessing

    names = {multiprocessing.current_process().name}
    try:
        import multiprocess

        names.add(multiprocess.current_process().name)
    except ImportError:
        pass
    return (os.cpu_count() or 1) if names == {"MainProcess"} else 1


class CorpusProcessor:
    def __init__(self, model: str | None = None, translate_to: str = "en", threads: int | None = None,
                 device: str | None = "cpu", window_tokens: int = 32_768, max_part_chars: int = 100_000,
                 max_part_tokens: int = 20_000):
        from curate.maltese.etymology.inference import EtymologyEngine
        from curate.maltese.transforms.pipelines import FINE_TO_MERGED, PIPELINE_PRESETS, ConditionalPipeline

        self.engine = EtymologyEngine.from_pretrained(model, device=device, threads=threads or default_threads())
        self.pipes = [ConditionalPipeline(p, translate_to=translate_to) for p in PIPELINES]
        # the presets' label -> action maps, applied from one transliteration and one lookup per token
        # (`apply_tokens` does the same one pipeline at a time; tests check the two agree)
        self._choice = {p.preset: {label: "keep transliterate translate".split().index(a)
                                   for label, a in PIPELINE_PRESETS[p.preset].items()} for p in self.pipes}
        for fine, merged in FINE_TO_MERGED.items():  # a model with fine labels: act as on the merged one
            for choice in self._choice.values():
                choice[fine] = choice.get(merged, 0)
        self._translit, self._table = self.pipes[0].transliterator, self.pipes[0].translations
        self.window_tokens, self.max_part_chars, self.max_part_tokens = window_tokens, max_part_chars, max_part_tokens
        self.counts: Counter = Counter()

    def rows(self, texts: Iterable[Text]) -> Iterator[dict]:
        window: list[Part] = []
        size = 0
        for part in self.parts(texts):
            window.append(part)
            size += sum(map(len, part[2]))
            if size >= self.window_tokens:
                yield from self._rows(window)
                window, size = [], 0
        yield from self._rows(window)

    def parts(self, texts: Iterable[Text]) -> Iterator[Part]:
        for text in texts:
            sentences = text.sentences if text.sentences is not None else split_sentences(text.text)
            if len(text.text) <= self.max_part_chars:
                tokens = [t for t in map(tokenize, sentences) if t]
                if sum(map(len, tokens)) <= self.max_part_tokens:
                    yield text.id, text.text, tokens
                    continue
            yield from self._cut(text.id, sentences)

    def _cut(self, rid: str, sentences: list[str]) -> Iterator[Part]:
        part, texts, chars, n_tokens, k = [], [], 0, 0, 0
        for sentence, tokens in self._pieces(sentences):
            if part and (chars + len(sentence) > self.max_part_chars or n_tokens + len(tokens) > self.max_part_tokens):
                yield f"{rid}#{k}", " ".join(texts), part
                part, texts, chars, n_tokens, k = [], [], 0, 0, k + 1
            texts.append(sentence)
            part.append(tokens)
            chars, n_tokens = chars + len(sentence) + 1, n_tokens + len(tokens)  # +1: the joining space
        if part:
            yield f"{rid}#{k}", " ".join(texts), part

    def _pieces(self, sentences: list[str]) -> Iterator[tuple[str, list[str]]]:
        limit = self.max_part_tokens
        for sentence in sentences:
            tokens = tokenize(sentence)
            if len(tokens) <= limit:
                if tokens:
                    yield sentence, tokens
                continue
            for i in range(0, len(tokens), limit):  # a sentence cut in pieces: each piece's text is its tokens
                yield " ".join(tokens[i : i + limit]), tokens[i : i + limit]

    def _rows(self, window: list[Part]) -> Iterator[dict]:
        tagged = iter(self.engine.tag([s for _, _, sentences in window for s in sentences]))
        for rid, text, sentences in window:
            labels, probs = take_joined(tagged, len(sentences))
            tokens = [t for s in sentences for t in s]
            row = {"id": rid, "text": text, "tokens": tokens, "sentence_lengths": [len(s) for s in sentences],
                   "etymology": labels, "etymology_prob": probs}
            row.update(self.columns(tokens, labels))
            self.counts["tokens"] += len(tokens)
            yield row

    def columns(self, tokens: list[str], labels: list[str]) -> dict[str, list[str]]:
        """`tokens_<preset>` for every pipeline: a token no table translates is kept (and counted)."""
        translit = self._translit.transliterate_many(tokens)  # per-type cache: dict lookups in C
        found = list(map(self._table.get, tokens))
        options = list(zip(tokens, translit, [t if f is None else f for t, f in zip(tokens, found)]))
        out = {}
        for preset, choice in self._choice.items():
            picks = [choice.get(label, 0) for label in labels]
            out[f"tokens_{preset}"] = [o[c] for o, c in zip(options, picks)]
            untranslated = sum(1 for f, c in zip(found, picks) if c == 2 and f is None)
            if untranslated:
                self.counts[f"{preset}_tokens_kept_untranslated"] += untranslated
        return out

    def take_counts(self) -> dict[str, int]:
        """Counts since the last call: tokens per pipeline left untranslated, and all `tokens`. (Rows cut from
        long texts are not counted here: `card_stats.py` reads them from the ids of the written rows.)"""
        out = dict(self.counts)
        self.counts.clear()
        return out
