"""`entity-cs`: entity-centric code-switching (EntityCS, Whitehouse et al., Findings of EMNLP 2022).

English Wikipedia sentences whose linked entities are replaced by their Wikidata labels in another
language: `<en>coral reef</en>` → `<de>Korallenriff</de>`. One config per target language plus `en`.
Work units are dump files, or byte ranges of a multistream dump cut at its index.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from curate.builder import BuildContext, Builder, BuilderConfig, Source
from curate.builders.entity_cs.options import EntityCsOptions
from curate.builders.entity_cs.recipe import ENTITYCS_LANGUAGES, Recipe
from curate.builders.entity_cs.source import EntitySource
from curate.builders.entity_cs.wikidata import WIKIDATA_API, WIKIPEDIA_API

CITATION = """@inproceedings{whitehouse-etal-2022-entitycs,
    title = "{E}ntity{CS}: Improving Zero-Shot Cross-lingual Transfer with Entity-Centric Code Switching",
    author = "Whitehouse, Chenxi and Christopoulou, Fenia and Iacobacci, Ignacio",
    booktitle = "Findings of the Association for Computational Linguistics: EMNLP 2022",
    year = "2022",
    url = "https://aclanthology.org/2022.findings-emnlp.499",
}"""


def _features(language: str) -> Any:
    from datasets import Features, List, Value

    entity = {"qid": Value("string"), "en_text": Value("string"), "en_start": Value("int32"),
              "en_end": Value("int32")}
    fields: dict[str, Any] = {"id": Value("string"), "language": Value("string"), "en_sentence": Value("string")}
    if language != "en":
        fields["cs_sentence"] = Value("string")
        entity = {"qid": Value("string"), "en_text": Value("string"), "cs_text": Value("string"),
                  "en_start": Value("int32"), "en_end": Value("int32"), "cs_start": Value("int32"),
                  "cs_end": Value("int32")}
    fields["entities"] = List(entity)
    fields["source"] = {"page_id": Value("int64"), "revision_id": Value("int64"), "title": Value("string")}
    return Features(fields)


class EntityCodeSwitch(Builder):
    name = "entity-cs"
    version = "1.0.0"
    description = ("English Wikipedia sentences with their linked entities switched to Wikidata labels in 92 "
                   "languages (EntityCS recipe; seeded language sampling, explicit entity offsets).")
    homepage = "https://github.com/huawei-noah/noah-research/tree/master/NLP/EntityCS"
    citation = CITATION
    license = "cc-by-sa-4.0"  # Wikipedia text; Wikidata labels are CC0
    languages = ("en", *ENTITYCS_LANGUAGES)
    task_categories = ("fill-mask", "token-classification")
    configs = [BuilderConfig("en", "English sentences with <en>…</en> entity markup", ("en",))] + [
        BuilderConfig(lang, f"English sentences with entities switched to {lang} Wikidata labels", ("en", lang))
        for lang in ENTITYCS_LANGUAGES
    ]
    sources = [
        Source("enwiki-pages-articles", url="https://dumps.wikimedia.org/enwiki/latest/", manual=True,
               license="CC BY-SA 4.0", description="pages-articles(-multistream) XML dump(s), given with --dump"),
        Source("wikipedia-api", url="https://en.wikipedia.org/w/api.php", license="CC BY-SA 4.0",
               description="title → Wikidata id (prop=pageprops)"),
        Source("wikidata", url="https://www.wikidata.org/w/api.php", license="CC0-1.0",
               description="labels (wbgetentities) or the JSON dump given with --wikidata-dump"),
    ]
    manual_download_instructions = (
        "Download an English pages-articles dump, e.g. enwiki-latest-pages-articles-multistream.xml.bz2 and its "
        "-index.txt.bz2 from https://dumps.wikimedia.org/enwiki/latest/, and pass it with --dump PATH.")
    id_field = "id"
    endpoints = {"wikipedia-api": WIKIPEDIA_API, "wikidata-api": WIKIDATA_API}  # --endpoint KEY=URL
    Options = EntityCsOptions
    shared_work_units = True  # one dump parse and one label join per batch serve all 93 configs

    def features(self, config: BuilderConfig) -> Any:
        return _features(config.name)

    def _source(self, ctx: BuildContext) -> EntitySource:
        return EntitySource(ctx, ctx.options.recipe(), self.sample_dir())

    def prepare(self, ctx: BuildContext) -> dict[str, str]:
        return self._source(ctx).prepare()

    def work_units(self, ctx: BuildContext) -> list[str]:
        return self._source(ctx).work_units()

    def generate(self, unit: str, ctx: BuildContext) -> Iterator[tuple[str, str, dict]]:
        """One parse of the unit serves every requested language config (`ctx.configs`)."""
        for language, record in self._source(ctx).records_many(unit, list(ctx.configs)):
            yield language, "train", record

    def card_context(self, config: BuilderConfig, tables: dict[str, Any]) -> dict[str, Any]:
        table = tables.get("train")
        if table is None:
            return {"sentences": 0, "entities": 0, "entities_with_qid": 0, "switched_entities": 0}
        entities = table.column("entities").to_pylist()
        with_qid = sum(1 for row in entities for e in row if e["qid"])
        # in a switched sentence every entity with a QID carries its label in the target language
        return {"sentences": table.num_rows, "entities": sum(len(r) for r in entities),
                "entities_with_qid": with_qid, "switched_entities": with_qid if config.name != "en" else 0}


__all__ = ["EntityCodeSwitch", "Recipe"]
