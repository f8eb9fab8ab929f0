"""How builders handle fetched answers (issue 11 items 1-2): a refused answer is never cached and fails the
unit, so a rerun (even into a fresh --out) asks again; against a local server, no internet."""

from __future__ import annotations

import hashlib
import json

import pytest
from test_fetch import fetcher, server  # noqa: F401  (the ScriptedServer fixture)

from curate.builders.clef_queries import hc4
from curate.builders.clef_queries.records import Hc4Files
from curate.builders.entity_cs.wikidata import MediaWikiApi
from curate.builders.eurlex_sum import cellar
from curate.errors import CurateError
from curate.fetch import RejectedAnswerError

MAINTENANCE = (200, {"Content-Type": "text/html"},
               b"<html><head><title>Wikimedia Error</title></head><body>Our servers are currently under "
               b"maintenance or experiencing a technical problem. Please try again in a few minutes.</body></html>")


def test_wikidata_non_json_body_is_never_cached(server, tmp_path):  # noqa: F811
    answer = {"entities": {"Q42": {"id": "Q42", "labels": {"mt": {"value": "Douglas Adams"}}}}}
    server.routes["/w/api.php"] = [MAINTENANCE, MAINTENANCE, (200, {"Content-Type": "application/json"},
                                                               json.dumps(answer).encode())]
    api = MediaWikiApi(fetcher(tmp_path, retries=1), server.url + "/w/api.php", sleep=lambda s: None)
    with pytest.raises(RejectedAnswerError, match="not JSON"):
        api.call({"action": "wbgetentities", "ids": "Q42"})
    assert not (tmp_path / "cache" / "index").exists()
    # a rerun with a fresh fetcher on the same cache (or a fresh --out) asks again and gets the answer
    again = MediaWikiApi(fetcher(tmp_path, retries=1), server.url + "/w/api.php", sleep=lambda s: None)
    assert again.call({"action": "wbgetentities", "ids": "Q42"}) == answer


def test_wikidata_api_error_is_not_left_in_the_cache(server, tmp_path):  # noqa: F811
    error = {"error": {"code": "internal_api_error_DBQueryError", "info": "database query error"}}
    server.routes["/w/api.php"] = [(200, {"Content-Type": "application/json"}, json.dumps(error).encode()),
                                   (200, {"Content-Type": "application/json"}, b'{"entities": {}}')]
    api = MediaWikiApi(fetcher(tmp_path), server.url + "/w/api.php", sleep=lambda s: None)
    with pytest.raises(CurateError, match="API error internal_api_error_DBQueryError"):
        api.call({"action": "wbgetentities", "ids": "Q1"})
    assert api.call({"action": "wbgetentities", "ids": "Q1"}) == {"entities": {}}


def test_hc4_body_failing_its_sha256_is_never_cached(server, tmp_path, monkeypatch):  # noqa: F811
    good = b'{"topic_id": "1"}\n'
    monkeypatch.setitem(hc4.HC4_SHA256, "dev.topics.v1-0.jsonl", hashlib.sha256(good).hexdigest())
    server.routes["/hc4/dev.topics.v1-0.jsonl"] = [(200, {}, b"<html>rate limited</html>"),
                                                   (200, {}, b"<html>rate limited</html>"), (200, {}, good)]
    files = Hc4Files(None, fetcher(tmp_path, retries=1), base=server.url + "/hc4/")
    with pytest.raises(RejectedAnswerError, match="does not match the pinned"):
        files.text("dev.topics.v1-0.jsonl")
    assert not (tmp_path / "cache" / "index").exists()
    assert Hc4Files(None, fetcher(tmp_path), base=server.url + "/hc4").text("dev.topics.v1-0.jsonl") == good.decode()
    assert server.log[-1]["path"] == "/hc4/dev.topics.v1-0.jsonl"  # --endpoint hc4=URL replaces the base


def test_sparql_html_error_page_is_never_cached(server, tmp_path):  # noqa: F811
    listing = {"results": {"bindings": []}}
    server.routes["/sparql"] = [(200, {"Content-Type": "text/html"}, b"<html><h1>Virtuoso 42000 Error</h1></html>"),
                                (200, {"Content-Type": "application/sparql-results+json"}, json.dumps(listing).encode())]
    with pytest.raises(RejectedAnswerError, match="not JSON"):
        cellar.list_summaries(fetcher(tmp_path, retries=0), server.url + "/sparql")
    assert cellar.list_summaries(fetcher(tmp_path, retries=0), server.url + "/sparql") == []


def test_cellar_mirror_gets_the_item_links_of_a_300_list(server, tmp_path):  # noqa: F811
    items = (f'<html><body><ul><li><a href="{cellar.CELLAR}/oj/X.0001.01/DOC_1">act</a></li>'
             f'<li><a href="{cellar.CELLAR}/oj/X.0001.01/DOC_2">Annex</a></li></ul></body></html>').encode()
    act = b"<html><body><p>" + b"Article 1. " * 400 + b"</p></body></html>"
    server.routes["/cellar/celex/32004R0261"] = [(300, {"Content-Type": "text/html"}, items)]
    server.routes["/cellar/oj/X.0001.01/DOC_1"] = [(200, {"Content-Type": "text/html"}, act)]
    doc = cellar.fetch_document(fetcher(tmp_path), "celex", "32004R0261", "en", cellar=server.url + "/cellar")
    assert doc.content == act and doc.url == server.url + "/cellar/oj/X.0001.01/DOC_1"


def test_info_lists_every_remote_endpoint_with_its_default(capsys):
    from curate.cli import main

    want = {"eurlex-sum": {"sparql": cellar.SPARQL_ENDPOINT, "cellar": cellar.CELLAR, "eurlex": cellar.EURLEX},
            "entity-cs": {"wikipedia-api": "https://en.wikipedia.org/w/api.php",
                          "wikidata-api": "https://www.wikidata.org/w/api.php"},
            "clef-queries": {"hc4": hc4.HC4_BASE}}
    for name, endpoints in want.items():
        assert main(["info", name, "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["endpoints"] == endpoints
        assert main(["info", name]) == 0
        text = capsys.readouterr().out
        assert all(f"  {key}: {url}" in text for key, url in endpoints.items())
