"""Publications Office Cellar: SPARQL listing of LEGISSUM summaries and REST content negotiation.

Cellar has no bot protection, unlike the EUR-Lex web UI (AWS WAF: HTTP 202 + `x-amzn-waf-action`).
- Listing: `cdm:summary_legislation_eu_summarizes_resource_legal` links a LEGISSUM summary to each act
  it summarises (LEGISSUM-specific; `cdm:summary_summarizes_work` is broader). The summary's
  expression languages come grouped in the same query, so only existing language versions are asked for.
- Documents: `GET http://publications.europa.eu/resource/{celex|legissum}/<id>` with an `Accept` type and
  `Accept-Language: eng|deu|...`. 300 lists several items (act + annexes): the first non-annex item is
  taken. 404/406 mean no manifestation: then, and only then, the EUR-Lex `legal-content` URL is tried,
  where a WAF challenge is reported as ChallengePageError by the fetcher.
- Every answer is checked before the fetcher caches it (`accept=`): a SPARQL reply must be results JSON,
  a document a non-empty page that is not a maintenance or error page. A refused answer is never cached
  and fails the work unit (network weather is not missing data); only 404/406 everywhere, a PDF-only act
  or EUR-Lex's "document does not exist" page mean "no HTML text", a skip that a rerun would repeat.
- The three base URLs (`sparql`, `cellar`, `eurlex`) are endpoints: `--endpoint cellar=URL` points them
  at a mirror; item links of a 300 list that name the default Cellar host are rewritten to the mirror.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urljoin

from lxml import html

from curate.errors import InputFormatError
from curate.fetch import CachedFetcher, FetchError, FetchResponse, expect_document, expect_json_object

SPARQL_ENDPOINT = "https://publications.europa.eu/webapi/rdf/sparql"
CELLAR = "http://publications.europa.eu/resource"
EURLEX = "https://eur-lex.europa.eu/legal-content"
ACT_ACCEPT = "application/xhtml+xml, text/html;q=0.9"
SUMMARY_ACCEPT = "application/xhtml+xml;type=xhtml5"  # a bare xhtml type gives 404 for summaries
PAGE_SIZE = 5000
# ISO 639-1 (config names) → the 3-letter codes Cellar's Accept-Language and language authority use
LANGUAGES = {
    "bg": "bul", "cs": "ces", "da": "dan", "de": "deu", "el": "ell", "en": "eng", "es": "spa", "et": "est",
    "fi": "fin", "fr": "fra", "ga": "gle", "hr": "hrv", "hu": "hun", "it": "ita", "lt": "lit", "lv": "lav",
    "mt": "mlt", "nl": "nld", "pl": "pol", "pt": "por", "ro": "ron", "sk": "slk", "sl": "slv", "sv": "swe",
}
_FROM_AUTHORITY = {v.upper(): k for k, v in LANGUAGES.items()}
LISTING_QUERY = """PREFIX cdm: <http://publications.europa.eu/ontology/cdm#>
SELECT ?summary ?legissum ?celex ?date ?obsolete (GROUP_CONCAT(DISTINCT ?lang; separator=" ") AS ?languages)
WHERE {
  ?summary cdm:summary_legislation_eu_summarizes_resource_legal ?act .
  ?act cdm:resource_legal_id_celex ?celex .
  ?expr cdm:expression_belongs_to_work ?summary ; cdm:expression_uses_language ?lang .
  OPTIONAL { ?summary cdm:summary_legislation_eu_id_legissum ?legissum }
  OPTIONAL { ?act cdm:work_date_document ?date }
  OPTIONAL { ?summary cdm:summary_legislation_eu_obsolete ?obsolete }
}
GROUP BY ?summary ?legissum ?celex ?date ?obsolete
ORDER BY ?celex ?summary
LIMIT {limit} OFFSET {offset}"""


@dataclass(frozen=True)
class SummaryLink:
    """One (summary, act) pair of the listing."""

    summary_uri: str
    legissum_id: str
    celex: str
    date: str
    obsolete: bool
    languages: tuple[str, ...]  # ISO 639-1 codes of the summary's language versions


def sparql_results(reply: FetchResponse) -> str | None:
    """`accept` check of a SPARQL reply: a JSON object with results.bindings (not an HTML error page)."""
    problem = expect_json_object(reply)
    if problem is None and not isinstance((json.loads(reply.content).get("results") or {}).get("bindings"), list):
        problem = "SPARQL JSON without results.bindings"
    return problem


def list_summaries(fetcher: CachedFetcher, endpoint: str = SPARQL_ENDPOINT) -> list[SummaryLink]:
    """Every (summary, act) pair, paged through the SPARQL endpoint (answers are cached by the fetcher)."""
    links: list[SummaryLink] = []
    offset = 0
    while True:
        query = LISTING_QUERY.replace("{limit}", str(PAGE_SIZE)).replace("{offset}", str(offset))
        reply = fetcher.get(endpoint, params={"query": query, "format": "application/sparql-results+json"},
                            headers={"Accept": "application/sparql-results+json"}, accept=sparql_results)
        page = parse_sparql_reply(reply)
        links.extend(page)
        if len(page) < PAGE_SIZE:
            return links
        offset += PAGE_SIZE


def parse_sparql_reply(reply: FetchResponse) -> list[SummaryLink]:
    data = reply.json()
    try:
        bindings = data["results"]["bindings"]
    except (KeyError, TypeError):
        raise InputFormatError(reply.url, None, "SPARQL reply without results.bindings") from None
    if not isinstance(bindings, list):
        raise InputFormatError(reply.url, None, f"SPARQL results.bindings is a {type(bindings).__name__}, not a list")
    links = []
    for row in bindings:
        if not (isinstance(row, dict) and all(isinstance(v, dict) and isinstance(v.get("value", ""), str)
                                              for v in row.values())):
            raise InputFormatError(reply.url, None, f"SPARQL row is not {{name: {{value: string}}}}: {str(row)[:120]}")
        value = {k: v.get("value", "") for k, v in row.items()}
        if "summary" not in value or "celex" not in value:
            raise InputFormatError(reply.url, None, f"SPARQL row without ?summary/?celex: {row}")
        langs = sorted({_FROM_AUTHORITY[c.rsplit("/", 1)[-1].upper()] for c in value.get("languages", "").split()
                        if c.rsplit("/", 1)[-1].upper() in _FROM_AUTHORITY})
        legissum = value.get("legissum") or value["summary"].rstrip("/").rsplit("/", 1)[-1]
        links.append(SummaryLink(value["summary"], legissum, value["celex"].strip(), value.get("date", "")[:10],
                                 value.get("obsolete", "").lower() in ("true", "1"), tuple(langs)))
    return links


@dataclass(frozen=True)
class Document:
    content: bytes
    url: str
    content_type: str


def _first_item(listing: FetchResponse, cellar: str = CELLAR) -> str | None:
    """The act's item of a 300 Multiple Choices list, skipping annexes, covers and corrigenda; a link to the
    default Cellar host is rewritten to `cellar` (a mirror serves the items too)."""
    root = html.document_fromstring(listing.content, parser=html.HTMLParser(no_network=True))
    for a in root.xpath("//li//a[@href]"):
        label = " ".join((a.text_content() or "").split()).lower()
        if not any(word in label for word in ("annex", "cover", "corrigend")):
            href = urljoin(listing.url, a.get("href"))
            for default in (CELLAR, CELLAR.replace("http://", "https://")):
                if href.startswith(default + "/") and cellar != CELLAR:
                    return cellar.rstrip("/") + href[len(default):]
            return href
    return None


def cellar_answer(reply: FetchResponse) -> str | None:
    """`accept` check of a Cellar answer: a 300 list with links, or a document (`expect_document`)."""
    if reply.status == 300:
        return None if b"<a" in reply.content.lower() else "300 Multiple Choices without any link"
    return expect_document(reply)


def _final(reply: FetchResponse, url: str) -> FetchResponse:
    """A 202 "not ready yet" (or any other non-200 answer) is weather, not a missing document: fail the unit."""
    if reply.status != 200:
        raise FetchError(url, reply.status, "no document yet (rerun later)")
    return reply


def fetch_document(fetcher: CachedFetcher, kind: str, doc_id: str, lang: str, cellar: str = CELLAR,
                   eurlex: str = EURLEX) -> Document | None:
    """An act (`kind="celex"`) or summary (`kind="legissum"`) in one language; None when neither Cellar
    nor EUR-Lex has it as HTML (404/406, a PDF-only scan, "document does not exist"): a permanent answer.
    Everything else that goes wrong (ChallengePageError, FetchError, RejectedAnswerError) propagates, so
    the work unit fails and a rerun retries it."""
    accept = ACT_ACCEPT if kind == "celex" else SUMMARY_ACCEPT
    headers = {"Accept": accept, "Accept-Language": LANGUAGES[lang]}
    url = f"{cellar.rstrip('/')}/{kind}/{doc_id}"
    try:
        reply = fetcher.get(url, headers=headers, accept=cellar_answer)
        if reply.status == 300:
            item = _first_item(reply, cellar)
            if item is None:
                raise InputFormatError(url, None, "300 Multiple Choices without a usable item")
            reply = fetcher.get(item, headers=headers, accept=expect_document)
    except FetchError as exc:
        if exc.status not in (404, 406):
            raise
        reply = None
    if reply is not None and _is_html(_final(reply, url)):
        return Document(reply.content, reply.url, reply.headers.get("Content-Type", ""))
    # No HTML manifestation on Cellar: the EUR-Lex front office is the last resort.
    fallback = f"{eurlex.rstrip('/')}/{lang.upper()}/TXT/HTML/"
    uri = f"CELEX:{doc_id}" if kind == "celex" else f"LEGISSUM:{doc_id}"
    try:
        page = fetcher.get(fallback, params={"uri": uri}, accept=expect_document)
    except FetchError as exc:
        if exc.status in (404, 406):
            return None
        raise
    if not _is_html(_final(page, fallback)) or b"The requested document does not exist" in page.content:
        return None
    return Document(page.content, page.url, page.headers.get("Content-Type", ""))


def _is_html(reply: FetchResponse) -> bool:
    ctype = reply.headers.get("Content-Type", "").lower()
    if "pdf" in ctype or reply.content[:5] == b"%PDF-":
        return False
    return not ctype or "html" in ctype or "xml" in ctype
