"""Turn parsed CLEF, translation and HC4 files into `topics` and `qrels` records (one generator per source)."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

from curate.errors import CurateError, InputFormatError
from curate.fetch.accept import expect_sha256

from . import hc4, layout
from .langcodes import clef_topic_id, clef_year_of, iso3, normalize_language
from .qrels import qrels_language, read_qrels
from .topics import read_topic_file
from .translations import read_translation_file

Skip = Callable[[str, int], None]
CLEF_SPLIT = "test"  # CLEF ad-hoc topics are evaluation topics: no train/dev


def topic_record(topic_id: str, collection: str, language: str, title: str, description: str,
                 narrative: str | None, origin: str, mt_system: str | None = None) -> dict:
    return {"topic_id": topic_id, "collection": collection, "language": language, "language_iso3": iso3(language),
            "title": title, "description": description, "narrative": narrative, "origin": origin,
            "mt_system": mt_system}


def _report(skip: Skip, counts: Counter) -> None:
    for reason, n in sorted(counts.items()):
        skip(reason, n)


def clef_topics(root: Path | None, year: int, translations: tuple[str, ...], skip: Skip) -> Iterator[tuple[str, dict]]:
    collection = f"clef{year}"
    for path, lang in layout.topic_files(root, year):
        counts: Counter = Counter()
        for t in read_topic_file(path, year, lang or None, counts):
            if lang and t.language != lang:
                raise InputFormatError(path, t.line, f"file name says {lang} but the tags say {t.language}")
            if clef_year_of(t.topic_id) not in (year, None):
                counts[f"{collection}: topic outside the {year} id range"] += 1
            yield CLEF_SPLIT, topic_record(t.topic_id, collection, t.language, t.title, t.description,
                                           t.narrative, "original")
        _report(skip, counts)
    for lang in translations:
        path = layout.translation_file(root, lang)
        for t in read_translation_file(path, lang):
            if clef_year_of(t.topic_id) == year:
                yield CLEF_SPLIT, topic_record(t.topic_id, collection, lang, t.title, t.description, None,
                                               "human_translation")


def clef_qrels(root: Path | None, year: int, skip: Skip) -> Iterator[tuple[str, dict]]:
    for path in layout.qrels_files(root, year):
        doc_language = qrels_language(path.name)
        if doc_language is None:
            skip(f"clef{year}: qrels file whose name gives no language ({path.name})", 1)
            continue
        for j in read_qrels(path, topic_id=clef_topic_id):
            yield CLEF_SPLIT, {"topic_id": j.topic_id, "doc_id": j.doc_id, "relevance": j.relevance,
                               "doc_language": doc_language, "collection": f"clef{year}"}


class Hc4Files:
    """HC4 file bytes from a local folder (sample mode, --hc4-dir) or the pinned upstream URL; sha256-checked."""

    def __init__(self, folder: Path | None, fetcher=None, base: str = hc4.HC4_BASE):
        self.folder, self.fetcher, self.base = folder, fetcher, base.rstrip("/")

    def text(self, rel: str) -> str:
        where: str
        if self.folder is not None:
            path = self.folder / rel
            if not path.is_file():
                raise CurateError(f"HC4 file missing: {path}")
            data, where = path.read_bytes(), str(path)
        else:
            where = f"{self.base}/{rel}"
            # checked before caching: a changed or corrupt body is never cached, so a rerun downloads again
            data = self.fetcher.get(where, accept=expect_sha256(hc4.HC4_SHA256[rel])).content
        digest = hashlib.sha256(data).hexdigest()
        if digest != hc4.HC4_SHA256[rel]:
            raise CurateError(f"{where}: sha256 {digest} does not match the pinned {hc4.HC4_SHA256[rel]}; "
                              "the upstream file changed or the download is corrupt")
        return data.decode("utf-8")


def hc4_topics(files: Hc4Files) -> Iterator[tuple[str, dict]]:
    for split in hc4.HC4_SPLITS:
        rel = hc4.topics_file(split)
        for v in hc4.parse_topics_jsonl(files.text(rel), rel):
            yield split, topic_record(v.topic_id, "hc4", v.language, v.title, v.description, None, v.origin,
                                      v.mt_system)


def hc4_qrels(files: Hc4Files) -> Iterator[tuple[str, dict]]:
    for lang3 in hc4.HC4_DOC_LANGUAGES:
        for split in hc4.HC4_SPLITS:
            rel = hc4.qrels_file(lang3, split)
            for j in hc4.parse_qrels(files.text(rel), rel):
                yield split, {"topic_id": j.topic_id, "doc_id": j.doc_id, "relevance": j.relevance,
                              "doc_language": normalize_language(lang3), "collection": "hc4"}

