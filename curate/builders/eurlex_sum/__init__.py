"""`eurlex-sum`: EU legal acts and their LEGISSUM summaries in the 24 official languages.

Reproduces EUR-Lex-Sum (Aumiller, Chouhan, Gertz, EMNLP 2022) from the Publications Office's Cellar
(SPARQL listing + REST content negotiation), with clean text, typed blocks, a cross-lingual config
(`xling`) and explicit cross-language block alignment (`aligned`). Work unit: one CELEX id, all languages.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from curate.builder import BuildContext, Builder, BuilderConfig, Source
from curate.builders.eurlex_sum.align import align_blocks
from curate.builders.eurlex_sum.cellar import (
    CELLAR,
    EURLEX,
    LANGUAGES,
    SPARQL_ENDPOINT,
    SummaryLink,
    fetch_document,
    list_summaries,
)
from curate.builders.eurlex_sum.options import EurLexOptions
from curate.builders.eurlex_sum.parse import Block, blocks_text, html_to_blocks
from curate.builders.eurlex_sum.splits import SEED, official_heldout, shuffled_heldout, split_of
from curate.errors import InputFormatError

log = logging.getLogger("curate.builders.eurlex_sum")
LANGS = tuple(LANGUAGES)


@dataclass
class Pair:
    """An act and its summary in one language, parsed."""

    language: str
    reference: list[Block]
    summary: list[Block]
    urls: list[str]
    words: int = field(init=False)

    def __post_init__(self) -> None:
        self.words = len(blocks_text(self.reference).split())

    @property
    def title(self) -> str:
        return next((b.text for b in self.summary if b.type == "title"), "")


@dataclass
class Catalogue:
    summary_of: dict[str, SummaryLink]  # celex → the summary chosen for it
    acts_of: dict[str, list[str]]  # summary uri → acts that chose it (sorted)
    heldout: dict[str, str]  # celex → validation | test

    def to_json(self) -> dict[str, Any]:
        """What `prepare` hands to the workers (JSON-able): the listing is made once, not once per worker."""
        return {"summary_of": {c: {**vars(s), "languages": list(s.languages)} for c, s in self.summary_of.items()},
                "acts_of": self.acts_of, "heldout": self.heldout}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Catalogue:
        links = {c: SummaryLink(**{**s, "languages": tuple(s["languages"])}) for c, s in data["summary_of"].items()}
        return cls(links, data["acts_of"], data["heldout"])


class EurLexSum(Builder):
    name = "eurlex-sum"
    version = "1.0.0"
    description = ("EU legal acts paired with their human-written EUR-Lex summaries (LEGISSUM) in the 24 official "
                   "EU languages, cleaned into typed blocks, with cross-lingual pairs and block alignment.")
    homepage = "https://eur-lex.europa.eu/browse/summaries.html"
    citation = """@inproceedings{aumiller-etal-2022-eur,
  title = {{EUR}-Lex-Sum: A Multi- and Cross-lingual Dataset for Long-form Summarization in the Legal Domain},
  author = {Aumiller, Dennis and Chouhan, Ashish and Gertz, Michael},
  booktitle = {Proceedings of the 2022 Conference on Empirical Methods in Natural Language Processing},
  year = {2022}, publisher = {Association for Computational Linguistics}, pages = {7626--7639}
}"""
    license = "cc-by-4.0"
    languages = LANGS
    task_categories = ("summarization", "translation")
    configs = [BuilderConfig(code, f"acts and summaries in {code}", (code,)) for code in LANGS] + [
        BuilderConfig("xling", "reference in language A, summary in language B (every ordered pair)", LANGS),
        BuilderConfig("aligned", "block ids that correspond across languages, pivot English", LANGS),
    ]
    default_configs = ("en",)
    splits = ("train", "validation", "test")
    id_field = "celex_id"
    endpoints = {"sparql": SPARQL_ENDPOINT, "cellar": CELLAR, "eurlex": EURLEX}  # --endpoint KEY=URL
    Options = EurLexOptions
    sources = [
        Source("cellar-sparql", url="https://publications.europa.eu/webapi/rdf/sparql", license="CC BY 4.0",
               description="listing of LEGISSUM summaries and the acts they summarise"),
        Source("cellar-rest", url="http://publications.europa.eu/resource/", license="CC BY 4.0",
               description="act and summary XHTML per language (content negotiation)"),
        Source("official-split-ids", path="curate/builders/eurlex_sum/data/english_splits.tsv", license="CC BY 4.0",
               sha256="6339c3c800018b7fa12c6d76d3ba27c3c43425b11c23c0a7914c557f723981f0",
               description="published EUR-Lex-Sum splits (--split-ids)"),
    ]

    def __init__(self) -> None:
        self._catalogues: dict[int, tuple[Any, Catalogue]] = {}  # id(ctx.prepared) → (it, parsed)

    # ---- declarations -------------------------------------------------------------------------
    def features(self, config: BuilderConfig):
        from datasets import Features, List, Value

        block = List({"id": Value("string"), "type": Value("string"), "text": Value("string")})
        texts = {"title": Value("string"), "reference": Value("string"), "summary": Value("string"),
                 "reference_blocks": block, "summary_blocks": block, "date": Value("string"),
                 "source_urls": List(Value("string"))}
        ids = {"celex_id": Value("string"), "summary_id": Value("string")}
        if config.name == "xling":
            return Features({**ids, "reference_language": Value("string"), "summary_language": Value("string"),
                             **texts})
        if config.name == "aligned":
            pairs = List({"source_ids": List(Value("string")), "target_ids": List(Value("string")),
                          "score": Value("float32")})
            return Features({**ids, "source_language": Value("string"), "target_language": Value("string"),
                             "reference_alignment": pairs, "summary_alignment": pairs})
        return Features({**ids, "language": Value("string"), **texts})

    # ---- listing ------------------------------------------------------------------------------
    def _list_catalogue(self, ctx: BuildContext) -> Catalogue:
        """The SPARQL listing (paged, cached by the fetcher) and the held-out split of its acts."""
        by_act: dict[str, list[SummaryLink]] = {}
        for link in list_summaries(ctx.fetcher, ctx.endpoint("sparql", SPARQL_ENDPOINT)):
            by_act.setdefault(link.celex, []).append(link)
        # An act with several summaries: prefer a current one in the most languages, then the lowest id.
        summary_of = {celex: min(links, key=lambda s: (s.obsolete, -len(s.languages), s.legissum_id))
                      for celex, links in sorted(by_act.items())}
        acts_of: dict[str, list[str]] = {}
        for celex, link in summary_of.items():
            acts_of.setdefault(link.summary_uri, []).append(celex)
        if ctx.options.split_ids:
            heldout = official_heldout()
        else:
            complete = [c for c, s in summary_of.items() if len(s.languages) == len(LANGS)]
            heldout = shuffled_heldout(complete, SEED)
        return Catalogue(summary_of, acts_of, heldout)

    def _catalogue(self, ctx: BuildContext) -> Catalogue:
        """The listing `prepare` made, as this worker received it (parsed once per context)."""
        key = id(ctx.prepared)  # the entry holds ctx.prepared, so the id cannot be reused meanwhile
        if key not in self._catalogues:
            self._catalogues[key] = (ctx.prepared, Catalogue.from_json(ctx.prepared))
        return self._catalogues[key][1]

    def _languages(self, ctx: BuildContext) -> list[str]:
        return [c for c in ctx.config.languages if c in ctx.options.languages]

    def prepare(self, ctx: BuildContext) -> dict[str, Any]:
        return self._list_catalogue(ctx).to_json()

    def work_units(self, ctx: BuildContext) -> list[str]:
        return sorted(self._catalogue(ctx).summary_of)

    # ---- generation ---------------------------------------------------------------------------
    def _pair(self, celex: str, link: SummaryLink, lang: str, ctx: BuildContext) -> Pair | None:
        """Fetch and parse one language of one act. Only answers that a rerun would get again are skips
        (no HTML version, a page that does not parse); a failed fetch, a challenge or a refused answer
        (FetchError, ChallengePageError) propagates and fails the unit, so the rerun retries it."""
        act = fetch_document(ctx.fetcher, "celex", celex, lang, **self._bases(ctx))
        summary = fetch_document(ctx.fetcher, "legissum", link.legissum_id, lang, **self._bases(ctx))
        if act is None or summary is None:
            ctx.skip("no HTML text for act or summary (PDF scan or missing)")
            return None
        try:
            return Pair(lang, html_to_blocks(act.content, act.url), html_to_blocks(summary.content, summary.url),
                        [act.url, summary.url])
        except InputFormatError as exc:  # the cached page itself is malformed: the same on every rerun
            log.warning("%s [%s]: malformed page: %s", celex, lang, exc)
            ctx.skip("malformed page")
        return None

    @staticmethod
    def _bases(ctx: BuildContext) -> dict[str, str]:
        return {"cellar": ctx.endpoint("cellar", CELLAR), "eurlex": ctx.endpoint("eurlex", EURLEX)}

    def _kept_pairs(self, celex: str, ctx: BuildContext) -> tuple[SummaryLink, dict[str, Pair]]:
        cat = self._catalogue(ctx)
        link = cat.summary_of[celex]
        pairs: dict[str, Pair] = {}
        others = [c for c in cat.acts_of[link.summary_uri] if c != celex]
        for lang in self._languages(ctx):
            if lang not in link.languages:
                ctx.skip("summary not available in this language")
                continue
            pair = self._pair(celex, link, lang, ctx)
            if pair is None:
                continue
            summary_words = len(blocks_text(pair.summary).split())
            if pair.words <= summary_words:
                ctx.skip("act not longer than its summary")
                continue
            if any(self._beats(other, pair.words, celex, link, lang, ctx) for other in others):
                ctx.skip("summary shared by several acts: a longer act kept")
                continue
            pairs[lang] = pair
        return link, pairs

    def _beats(self, other: str, words: int, celex: str, link: SummaryLink, lang: str, ctx: BuildContext) -> bool:
        """Whether another act sharing the summary is longer in this language (ties: the lower CELEX id wins)."""
        doc = fetch_document(ctx.fetcher, "celex", other, lang, **self._bases(ctx))  # fetch errors fail the unit
        try:
            other_words = len(blocks_text(html_to_blocks(doc.content, doc.url)).split()) if doc else 0
        except InputFormatError:
            return False  # the other act has no usable text here, so it cannot be kept instead
        return other_words > words or (other_words == words and other < celex)

    def generate(self, unit: str, ctx: BuildContext) -> Iterator[tuple[str, str, dict]]:
        for split, row in self._rows(unit, ctx):
            yield ctx.config.name, split, row

    def _rows(self, unit: str, ctx: BuildContext) -> Iterator[tuple[str, dict]]:
        link, pairs = self._kept_pairs(unit, ctx)
        split = split_of(unit, self._catalogue(ctx).heldout)
        ids = {"celex_id": unit, "summary_id": link.legissum_id}
        name = ctx.config.name
        if name == "aligned":
            yield from ((split, r) for r in _aligned_records(ids, pairs))
            return
        for ref_lang in pairs:
            for sum_lang in (pairs if name == "xling" else [ref_lang]):
                if name == "xling" and sum_lang == ref_lang:
                    continue
                ref, summ = pairs[ref_lang], pairs[sum_lang]
                langs = ({"reference_language": ref_lang, "summary_language": sum_lang} if name == "xling"
                         else {"language": ref_lang})
                yield split, {
                    **ids, **langs, "title": summ.title,
                    "reference": blocks_text(ref.reference), "summary": blocks_text(summ.summary),
                    "reference_blocks": [b.as_dict() for b in ref.reference],
                    "summary_blocks": [b.as_dict() for b in summ.summary],
                    "date": link.date, "source_urls": [ref.urls[0], summ.urls[1]],
                }

    # ---- card ---------------------------------------------------------------------------------
    def card_context(self, config: BuilderConfig, tables: dict[str, Any]) -> dict[str, Any]:
        from curate.builders.eurlex_sum.stats import length_stats

        return length_stats(config.name, tables)


def _aligned_records(ids: dict, pairs: dict[str, Pair]) -> Iterator[dict]:
    if len(pairs) < 2:
        return
    pivot = "en" if "en" in pairs else next(iter(pairs))
    src = pairs[pivot]
    for lang, tgt in pairs.items():
        if lang == pivot:
            continue
        yield {
            **ids, "source_language": pivot, "target_language": lang,
            "reference_alignment": [p.as_dict() for p in align_blocks([b.as_dict() for b in src.reference],
                                                                       [b.as_dict() for b in tgt.reference])],
            "summary_alignment": [p.as_dict() for p in align_blocks([b.as_dict() for b in src.summary],
                                                                     [b.as_dict() for b in tgt.summary])],
        }
