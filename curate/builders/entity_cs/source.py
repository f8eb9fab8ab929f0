"""Where pages, QIDs and labels come from for one build: dump files and work units, the API or a
Wikidata JSON dump (turned once into Parquet label/title tables in `prepare`)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import polars as pl

from curate.builder import BuildContext
from curate.builders.entity_cs.dump import ByteRange, iter_pages, multistream_ranges, read_multistream_index
from curate.builders.entity_cs.labels import LABEL_SCHEMA, for_languages, label_frame
from curate.builders.entity_cs.pipeline import batch_records_many, chunks, page_sentences
from curate.builders.entity_cs.recipe import Recipe
from curate.builders.entity_cs.wikidata import (
    WIKIDATA_API,
    WIKIPEDIA_API,
    MediaWikiApi,
    dump_tables,
    fetch_labels,
    first_upper,
    resolve_titles,
)
from curate.errors import CurateError, ManualDownloadError

SAMPLE_DUMPS = ("enwiki-pages-articles-sample.xml.bz2", "synthetic-entity-page.xml")


def dump_files(ctx: BuildContext, sample_dir: Path) -> list[Path]:
    if ctx.options.dump:
        paths = list(ctx.options.dump)  # checked to exist by EntityCsOptions
    elif ctx.sample:
        paths = [sample_dir / name for name in SAMPLE_DUMPS]
    else:
        raise ManualDownloadError("entity-cs needs a Wikipedia dump: pass --dump PATH "
                                  "(https://dumps.wikimedia.org/enwiki/latest/, pages-articles[-multistream].xml.bz2)")
    for p in paths:
        if not p.is_file():
            raise ManualDownloadError(f"entity-cs: dump file {p} does not exist")
    return paths


def multistream_index(dump: Path) -> Path | None:
    """`…-multistream.xml.bz2` → its sibling `…-multistream-index.txt.bz2`, when present."""
    name = dump.name
    if "multistream" not in name or not name.endswith(".xml.bz2"):
        return None
    for suffix in ("-index.txt.bz2", "-index.txt"):
        index = dump.with_name(name[: -len(".xml.bz2")] + suffix)
        if index.is_file():
            return index
    return None


def unit_location(unit: str, dumps: list[Path]) -> tuple[Path, ByteRange | None]:
    """`"<i>:<name>"` or `"<i>:<name>@<start>-<end>"` → (dump path, byte range)."""
    head, _, rng = unit.partition("@")
    path = dumps[int(head.split(":", 1)[0])]
    if not rng:
        return path, None
    start, _, end = rng.partition("-")
    return path, ByteRange(int(start), int(end) if end else None)


@lru_cache(maxsize=2)
def _load_tables(folder: str) -> tuple[pl.DataFrame, dict[str, str]]:
    """The prepared label table and title index, loaded once per worker process and kept in memory."""
    labels = pl.read_parquet(Path(folder) / "labels.parquet")
    titles = pl.read_parquet(Path(folder) / "titles.parquet")
    return labels, dict(zip(titles["title"].to_list(), titles["qid"].to_list(), strict=False))


class EntitySource:
    def __init__(self, ctx: BuildContext, recipe: Recipe, sample_dir: Path):
        self.ctx, self.recipe, self.sample_dir = ctx, recipe, sample_dir
        self.pages_per_batch = ctx.options.pages_per_batch
        self.streams_per_unit = ctx.options.streams_per_unit
        self.label_langs = set(recipe.languages) | ({"mul"} if recipe.mul_fallback else set())

    # ---- units ---------------------------------------------------------------------------------------
    def work_units(self) -> list[str]:
        units = []
        for i, dump in enumerate(dump_files(self.ctx, self.sample_dir)):
            index = multistream_index(dump)
            if index is None:
                units.append(f"{i}:{dump.name}")
                continue
            for r in multistream_ranges(read_multistream_index(index), self.streams_per_unit):
                units.append(f"{i}:{dump.name}@{r.start}-{'' if r.end is None else r.end}")
        return units

    # ---- the Wikidata JSON dump route ------------------------------------------------------------------
    def _tables_dir(self) -> Path | None:
        path = self.ctx.options.wikidata_dump
        if not path:
            return None
        st = Path(path).stat()
        key = f"{Path(path).resolve()}|{st.st_size}|{st.st_mtime_ns}|{sorted(self.label_langs)}"
        return Path(self.ctx.cache_dir) / "entity-cs" / hashlib.sha256(key.encode()).hexdigest()[:16]

    def prepare(self) -> dict[str, str]:
        """With --wikidata-dump: label and title tables made once from the dump (kept in the cache, reused
        by later builds); their folder is what every worker receives (`ctx.prepared`)."""
        folder = self._tables_dir()
        if folder is None:
            return {}
        if (folder / "titles.parquet").exists():
            return {"wikidata_tables": str(folder)}
        labels, titles = dump_tables(self.ctx.options.wikidata_dump, self.label_langs)
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / ".labels.parquet.tmp"
        label_frame(labels).sort("qid", "lang").write_parquet(tmp)
        tmp.replace(folder / "labels.parquet")
        tmp = folder / ".titles.parquet.tmp"
        pl.DataFrame(titles, schema={"title": pl.String, "qid": pl.String}, orient="row").write_parquet(tmp)
        tmp.replace(folder / "titles.parquet")  # written last: its presence means both are complete
        return {"wikidata_tables": str(folder)}

    def _tables(self) -> Path | None:
        """The prepared tables' folder, as handed to this worker."""
        if self.ctx.options.wikidata_dump and not (self.ctx.prepared or {}).get("wikidata_tables"):
            raise CurateError("entity-cs: --wikidata-dump tables were not prepared (call prepare() first)")
        folder = (self.ctx.prepared or {}).get("wikidata_tables")
        return Path(folder) if folder else None

    # ---- lookups ---------------------------------------------------------------------------------------
    def _resolve(self, titles: set[str]) -> dict[str, str | None]:
        folder = self._tables()
        if folder is not None:
            index = _load_tables(str(folder))[1]
            return {t: index.get(t) or index.get(first_upper(t)) for t in titles}
        api = MediaWikiApi(self.ctx.fetcher, self.ctx.endpoint("wikipedia-api", WIKIPEDIA_API))
        return resolve_titles(api, titles, title_case=self.recipe.title_case_fallback)

    def _labels(self, qids: set[str]) -> pl.DataFrame:
        folder = self._tables()
        if folder is not None:
            table = _load_tables(str(folder))[0]
            wanted = pl.DataFrame({"qid": sorted(qids)}, schema={"qid": pl.String})
            rows = table.join(wanted, on="qid", how="semi")
        else:
            api = MediaWikiApi(self.ctx.fetcher, self.ctx.endpoint("wikidata-api", WIKIDATA_API))
            rows = label_frame(fetch_labels(api, qids, self.label_langs)) if qids else pl.DataFrame(
                schema=LABEL_SCHEMA)
        return for_languages(rows, self.recipe.languages, self.recipe.mul_fallback)

    # ---- records ---------------------------------------------------------------------------------------
    def records_many(self, unit: str, languages: list[str]) -> Iterator[tuple[str, dict]]:
        """`(language, record)` for all requested configs from one parse of the unit."""
        path, rng = unit_location(unit, dump_files(self.ctx, self.sample_dir))
        for pages in chunks(self._articles(path, rng), self.pages_per_batch):
            sentences = [s for page in pages for s in page_sentences(page, self.recipe, self.ctx.skip)]
            if not sentences:
                continue
            qid_of = self._resolve({lk.target for s in sentences for lk in s.sent.links})
            labels = None
            if any(lang != "en" for lang in languages):
                labels = self._labels({q for q in qid_of.values() if q})
            yield from batch_records_many(sentences, qid_of, labels, self.recipe, languages)

    def _articles(self, path: Path, rng: ByteRange | None) -> Iterator:
        for page in iter_pages(path, rng):
            if page.ns != 0:
                self.ctx.skip("page_not_article")
            elif page.redirect is not None or page.text.lstrip()[:9].upper() == "#REDIRECT":
                self.ctx.skip("page_redirect")
            else:
                yield page
