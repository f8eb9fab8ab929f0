"""Title → QID through prop=pageprops, labels through wbgetentities (maxlag honoured), the label joins."""

import json
from pathlib import Path

import polars as pl
import pytest

from curate.builders.entity_cs.labels import ENTITY_SCHEMA, candidate_languages, for_languages, label_frame
from curate.builders.entity_cs.recipe import ENTITYCS_LANGUAGES
from curate.builders.entity_cs.wikidata import (
    WIKIDATA_API,
    WIKIPEDIA_API,
    MaxlagExceeded,
    MediaWikiApi,
    dump_tables,
    fetch_labels,
    resolve_titles,
)
from curate.fetch import CachedFetcher

SAMPLE = Path(__file__).resolve().parent.parent / "curate/builders/entity_cs/sample"
LABELS = json.loads((SAMPLE / "cassette/bodies/wbgetentities-labels.json").read_text())["entities"]


def write_cassette(folder: Path, exchanges: list[tuple[str, dict, object, dict]]) -> Path:
    """exchanges: (url, params, body (dict or path), response headers); bodies in real API formats."""
    (folder / "bodies").mkdir(parents=True)
    with open(folder / "index.jsonl", "w") as fh:
        for i, (url, params, body, headers) in enumerate(exchanges):
            data = Path(body).read_bytes() if isinstance(body, Path) else json.dumps(body).encode()
            (folder / f"bodies/{i}.json").write_bytes(data)
            fh.write(json.dumps({"method": "GET", "url": url, "params": {**params, "format": "json", "maxlag": "5"},
                                 "status": 200, "headers": {"Content-Type": "application/json", **headers},
                                 "body": f"bodies/{i}.json", "note": "test exchange, real API format"}) + "\n")
    return folder


def pageprops(titles):
    return {"action": "query", "prop": "pageprops", "ppprop": "wikibase_item", "redirects": "1", "formatversion": "2",
            "titles": "|".join(titles)}


def api(tmp_path, exchanges, url, sleeps=None):
    fetcher = CachedFetcher(tmp_path / "cache", cassette=write_cassette(tmp_path / "cassette", exchanges))
    return MediaWikiApi(fetcher, url, sleep=(sleeps.append if sleeps is not None else lambda s: None))


def test_redirects_normalisation_and_case_fallback(tmp_path):
    asked = ["Douglas Noël Adams", "No such page xyz", "douglas Adams", "oliver Kahn"]
    first = {"batchcomplete": True, "query": {
        "normalized": [{"fromencoded": False, "from": "douglas Adams", "to": "Douglas Adams"}],
        "redirects": [{"from": "Douglas Noël Adams", "to": "Douglas Adams"}],
        # a case-sensitive wiki keeps "oliver Kahn" as written, and it does not exist
        "pages": [{"pageid": 8091, "ns": 0, "title": "Douglas Adams", "pageprops": {"wikibase_item": "Q42"}},
                  {"ns": 0, "title": "No such page xyz", "missing": True},
                  {"ns": 0, "title": "oliver Kahn", "missing": True}]}}
    second = {"batchcomplete": True, "query": {"pages": [
        {"ns": 0, "title": "Oliver Kahn", "pageprops": {"wikibase_item": "Q131261"}}]}}
    a = api(tmp_path, [(WIKIPEDIA_API, pageprops(asked), first, {}),
                       (WIKIPEDIA_API, pageprops(["Oliver Kahn"]), second, {})], WIKIPEDIA_API)
    assert resolve_titles(a, asked + ["bad|title"]) == {
        "Douglas Noël Adams": "Q42", "douglas Adams": "Q42", "oliver Kahn": "Q131261", "No such page xyz": None,
        "bad|title": None}


def test_titles_are_batched_fifty_per_request(tmp_path):
    titles = [f"T{i:03d}" for i in range(120)]
    replies = [(WIKIPEDIA_API, pageprops(titles[i:i + 50]),
                {"query": {"pages": [{"ns": 0, "title": t, "pageprops": {"wikibase_item": f"Q{int(t[1:]) + 1}"}}
                                     for t in titles[i:i + 50]]}}, {}) for i in range(0, 120, 50)]
    out = resolve_titles(api(tmp_path, replies, WIKIPEDIA_API), titles)
    assert out["T000"] == "Q1" and out["T119"] == "Q120" and len(out) == 120


def test_missing_entity_gives_no_labels(tmp_path):
    real = SAMPLE / "fixtures/wbgetentities-Q6-Q42-P31.json"  # real reply: Q6 is {"id": "Q6", "missing": ""}
    a = api(tmp_path, [(WIKIDATA_API, {"action": "wbgetentities", "props": "labels", "ids": "Q42|Q6"}, real, {})],
            WIKIDATA_API)
    rows = fetch_labels(a, ["Q6", "Q42"], {"de", "fr", "mul"})
    assert {q for q, _, _ in rows} == {"Q42"}
    assert ("Q42", "de", "Douglas Adams") in rows


def test_maxlag_error_then_success(tmp_path):
    params = {"action": "wbgetentities", "props": "labels", "ids": "Q42|Q6"}
    sleeps: list[float] = []
    a = api(tmp_path, [(WIKIDATA_API, params, SAMPLE / "fixtures/error-maxlag.json", {"Retry-After": "3"}),
                       (WIKIDATA_API, params, SAMPLE / "fixtures/wbgetentities-Q6-Q42-P31.json", {})],
            WIKIDATA_API, sleeps)
    rows = fetch_labels(a, ["Q42", "Q6"], {"de"})
    assert rows == [("Q42", "de", "Douglas Adams")]
    assert sleeps == [3.0] and a.lag_waits == 1


def test_maxlag_forever_is_an_error(tmp_path):
    params = {"action": "wbgetentities", "props": "labels", "ids": "Q42"}
    a = api(tmp_path, [(WIKIDATA_API, params, SAMPLE / "fixtures/error-maxlag.json", {})], WIKIDATA_API, [])
    a.retries = 2
    with pytest.raises(MaxlagExceeded, match="still lagged"):
        fetch_labels(a, ["Q42"], {"de"})


def _labels(*qids):
    return label_frame((q, lang, v["value"]) for q in qids for lang, v in LABELS[q]["labels"].items())


def test_language_intersection_douglas_adams_and_oliver_kahn_share_53():
    labels = for_languages(_labels("Q42", "Q131261"), ENTITYCS_LANGUAGES)
    ents = pl.DataFrame([(0, 0, "Q42"), (0, 1, "Q131261"), (1, 0, "Q42"), (2, 0, "Q42"), (2, 1, "Q42")],
                        schema=ENTITY_SCHEMA, orient="row")
    cands = candidate_languages(ents, labels)
    adams = set(LABELS["Q42"]["labels"]) & set(ENTITYCS_LANGUAGES)
    kahn = set(LABELS["Q131261"]["labels"]) & set(ENTITYCS_LANGUAGES)
    assert len(cands[0]) == 53 and set(cands[0]) == adams & kahn
    assert set(cands[1]) == set(cands[2]) == adams  # one entity twice constrains once
    assert "en" not in cands[1]


def test_mul_label_fills_languages_without_their_own():
    # synthetic entity in the post-2024 style: a `mul` label and one language-specific label
    raw = label_frame([("Q99", "mul", "Tokyo Skytree"), ("Q99", "ja", "東京スカイツリー"), ("Q99", "en", "Tokyo Skytree")])
    with_mul = for_languages(raw, ["de", "ja", "fr"])
    assert with_mul.rows() == [("Q99", "de", "Tokyo Skytree"), ("Q99", "fr", "Tokyo Skytree"),
                               ("Q99", "ja", "東京スカイツリー")]
    assert for_languages(raw, ["de", "ja", "fr"], mul_fallback=False).rows() == [("Q99", "ja", "東京スカイツリー")]


def test_wikidata_json_dump_lines(tmp_path):
    labels, titles = dump_tables(SAMPLE / "fixtures/mock-dump-for-testing.json", {"de", "mul"}, site="frwiki")
    assert labels == [("Q1", "de", "Universum"), ("Q8", "de", "Glück")]  # P16 and L1 are skipped
    assert titles == [("Univers", "Q1"), ("Bonheur", "Q8")]
