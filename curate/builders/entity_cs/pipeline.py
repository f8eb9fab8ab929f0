"""Pages → filtered sentences → (title → QID) → label join → records, one batch of pages at a time.

Batches keep memory flat however large a work unit is, and batching the API calls (50 titles or
ids per request) happens per batch. Everything is ordered (page order, sentence order, sorted
languages), so a unit's output does not depend on which worker runs it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import polars as pl

from curate.builders.entity_cs.dump import Page
from curate.builders.entity_cs.labels import CHOICE_SCHEMA, ENTITY_SCHEMA, candidate_languages, switched_texts
from curate.builders.entity_cs.recipe import Recipe, render
from curate.builders.entity_cs.sentences import paragraphs, split_sentences
from curate.builders.entity_cs.wikitext import Paragraph


@dataclass(frozen=True)
class EnSentence:
    id: str
    page: Page
    sent: Paragraph


def page_sentences(page: Page, recipe: Recipe, skip: Callable[[str], None]) -> Iterator[EnSentence]:
    """The kept sentences of one article; ids are `<page id>-<sentence index in the page>`."""
    n = 0
    for par in paragraphs(page.text, keep_lists=recipe.keep_lists, trail_in_anchor=recipe.trail_in_anchor):
        for sent in split_sentences(par):
            reason = recipe.reject(sent)
            if reason:
                skip(reason)
            else:
                yield EnSentence(f"{page.page_id}-{n}", page, sent)
            n += 1


def _source(page: Page) -> dict:
    return {"page_id": page.page_id, "revision_id": page.revision_id, "title": page.title}


def en_record(s: EnSentence, qids: list[str | None]) -> dict:
    text, spans = render(s.sent, "en", [None] * len(s.sent.links))
    entities = [{"qid": q, "en_text": lk.anchor, "en_start": a, "en_end": b}
                for lk, q, (a, b) in zip(s.sent.links, qids, spans, strict=False)]
    return {"id": s.id, "language": "en", "en_sentence": text, "entities": entities, "source": _source(s.page)}


def cs_record(s: EnSentence, qids: list[str | None], lang: str, labels: dict[int, str]) -> dict:
    en_text, en_spans = render(s.sent, "en", [None] * len(s.sent.links))
    texts = [labels.get(i) if q else None for i, q in enumerate(qids)]
    cs_text, cs_spans = render(s.sent, lang, texts)
    entities = [
        {"qid": q, "en_text": lk.anchor, "cs_text": t if t is not None else lk.anchor,
         "en_start": ea, "en_end": eb, "cs_start": ca, "cs_end": cb}
        for lk, q, t, (ea, eb), (ca, cb) in zip(s.sent.links, qids, texts, en_spans, cs_spans, strict=False)
    ]
    return {"id": s.id, "language": lang, "en_sentence": en_text, "cs_sentence": cs_text, "entities": entities,
            "source": _source(s.page)}


def batch_records_many(sentences: list[EnSentence], qid_of: dict[str, str | None], labels: pl.DataFrame | None,
                       recipe: Recipe, languages: list[str]) -> Iterator[tuple[str, dict]]:
    """`(language, record)` for every requested config in one pass: the candidate and label joins run
    once per batch for all languages, not once per language."""
    qids = [[qid_of.get(lk.target) for lk in s.sent.links] for s in sentences]
    if "en" in languages:
        for s, q in zip(sentences, qids, strict=True):
            yield "en", en_record(s, q)
    wanted = [lang for lang in languages if lang != "en"]
    if not wanted or labels is None or labels.is_empty():
        return
    entities = pl.DataFrame([(i, j, q) for i, row in enumerate(qids) for j, q in enumerate(row) if q],
                            schema=ENTITY_SCHEMA, orient="row")
    candidates = candidate_languages(entities, labels)
    pairs = [(i, lang) for i, langs in sorted(candidates.items())
             for lang in recipe.choose_languages(sentences[i].id, langs) if lang in wanted]
    if not pairs:
        return
    texts = switched_texts(entities, pl.DataFrame(pairs, schema=CHOICE_SCHEMA, orient="row"), labels)
    for lang in wanted:  # config by config, sentences in order within each: deterministic part files
        for i, chosen in pairs:
            if chosen == lang:
                yield lang, cs_record(sentences[i], qids[i], lang, texts.get((i, lang), {}))


def chunks(items: Iterable, size: int) -> Iterator[list]:
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
