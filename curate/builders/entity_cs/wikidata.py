"""Title → Wikidata id through the MediaWiki API, labels through `wbgetentities`, or both from the
Wikidata JSON dump.

API calls go through `CachedFetcher` (cache, retries, cassette replay) and honour `maxlag`: a lagged
server answers HTTP 200 with `{"error": {"code": "maxlag"}}` and a `Retry-After` header
(mediawiki.org/wiki/Manual:Maxlag_parameter), so we wait and ask again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from curate.errors import CurateError
from curate.fetch.accept import expect_json_object

from .jsondump import dump_tables, iter_json_dump  # noqa: F401  (the JSON dump reader; re-exported)

WIKIPEDIA_API = "https://en.wikipedia.org/w/api.php"
WIKIDATA_API = "https://www.wikidata.org/w/api.php"
BATCH = 50  # the API's limit for titles= and ids= (500 for bots)
_INVALID_TITLE_CHARS = set("<>[]{}|#")


class MaxlagExceeded(CurateError):
    """The server stayed lagged through every retry."""


class MediaWikiApi:
    def __init__(self, fetcher: Any, url: str, maxlag: int = 5, retries: int = 5, max_wait: float = 60.0,
                 sleep: Callable[[float], None] = time.sleep):
        self.fetcher, self.url, self.maxlag = fetcher, url, maxlag
        self.retries, self.max_wait, self.sleep = retries, max_wait, sleep
        self.lag_waits = 0

    def call(self, params: dict[str, str]) -> dict:
        params = {**params, "format": "json", "maxlag": str(self.maxlag)}
        for _ in range(self.retries + 1):
            # a non-JSON body (maintenance page, truncated answer) is refused by the fetcher: never cached,
            # retried, and finally an error that fails the work unit, so a rerun asks again
            response = self.fetcher.get(self.url, params=params, accept=expect_json_object)
            data = response.json()
            error = data.get("error") if isinstance(data, dict) else None
            if not error:
                return data
            self._forget(params)  # an API error comes with HTTP 200 and was cached like an answer
            if error.get("code") != "maxlag":
                raise CurateError(f"{response.url}: API error {error.get('code')}: {error.get('info', '')}")
            wait = _retry_after(response.headers.get("Retry-After"), error.get("lag"))
            self.lag_waits += 1
            self.sleep(min(wait, self.max_wait))
        raise MaxlagExceeded(f"{self.url}: still lagged after {self.retries} retries ({error.get('info', '')})")

    def _forget(self, params: dict[str, str]) -> None:
        forget = getattr(self.fetcher, "forget", None)  # test doubles may have no cache
        if forget is not None:
            forget("GET", self.url, params=params)


def _retry_after(header: str | None, lag: Any) -> float:
    for value in (header, lag):
        try:
            return max(1.0, float(value))
        except (TypeError, ValueError):
            continue
    return 5.0  # the wait the maxlag manual recommends


def batches(items: list[str], size: int = BATCH) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def first_upper(title: str) -> str:
    return title[:1].upper() + title[1:]


def _valid_title(title: str) -> bool:
    return bool(title) and len(title.encode()) <= 255 and not (_INVALID_TITLE_CHARS & set(title))


def query_pageprops(api: MediaWikiApi, titles: list[str]) -> tuple[dict[str, str | None], dict[str, str]]:
    """asked title → QID (None when missing or without an item), and asked title → the page title it
    reached through normalisation and redirects."""
    qids: dict[str, str | None] = {}
    reached: dict[str, str] = {}
    for batch in batches(sorted(set(titles))):
        data = api.call({"action": "query", "prop": "pageprops", "ppprop": "wikibase_item", "redirects": "1",
                         "formatversion": "2", "titles": "|".join(batch)})
        query = data.get("query", {})
        norm = {n["from"]: n["to"] for n in query.get("normalized", [])}
        redirect = {r["from"]: r["to"] for r in query.get("redirects", [])}
        pages = query.get("pages", [])
        pages = pages.values() if isinstance(pages, dict) else pages  # formatversion 1 keys pages by id
        found = {p["title"]: (p.get("pageprops") or {}).get("wikibase_item") for p in pages if "title" in p}
        for title in batch:
            final = norm.get(title, title)
            final = redirect.get(final, final)
            qids[title] = found.get(final)
            reached[title] = final
    return qids, reached


def resolve_titles(api: MediaWikiApi, titles: Iterable[str], title_case: bool = False) -> dict[str, str | None]:
    """Link target → QID: the title as written, then first letter upper-cased (then str.title() if asked)."""
    variants: list[Callable[[str], str]] = [lambda t: t, first_upper] + ([str.title] if title_case else [])
    pending = sorted({t for t in titles if _valid_title(t)})
    result: dict[str, str | None] = {t: None for t in titles}
    tried: set[str] = set()
    for variant in variants:
        asks = {t: variant(t) for t in pending if variant(t) not in tried}
        if not asks:
            continue
        qids, reached = query_pageprops(api, list(asks.values()))
        tried.update(asks.values())
        tried.update(reached.values())
        for title, ask in asks.items():
            result[title] = qids.get(ask)
        pending = [t for t in pending if result[t] is None]
    return result


def fetch_labels(api: MediaWikiApi, qids: Iterable[str], languages: set[str]) -> list[tuple[str, str, str]]:
    """(qid, lang, label) for the requested ids; missing entities give no rows. All labels are asked for
    (the `languages` parameter allows only 50 values) and filtered here."""
    wanted = sorted(set(qids))
    rows: list[tuple[str, str, str]] = []
    for batch in batches(wanted):
        data = api.call({"action": "wbgetentities", "props": "labels", "ids": "|".join(batch)})
        asked = set(batch)
        for key, entity in sorted(data.get("entities", {}).items()):
            if "missing" in entity:
                continue
            # a redirected id comes back as its target: file it under the id we asked for
            names = {key, entity.get("id"), (entity.get("redirects") or {}).get("from")} & asked
            for qid in sorted(n for n in names if n):
                rows.extend(_labels_of(qid, entity, languages))
    return rows


def _labels_of(qid: str, entity: dict, languages: set[str]) -> Iterator[tuple[str, str, str]]:
    for lang, value in sorted((entity.get("labels") or {}).items()):
        if lang in languages and isinstance(value, dict) and value.get("value"):
            yield qid, lang, value["value"]
