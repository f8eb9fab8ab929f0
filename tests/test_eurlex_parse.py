"""eurlex-sum parsing, cleaning, splits and alignment on the real EUR-Lex pages in shared/data/eurlex."""

from __future__ import annotations

from collections import Counter

import pytest

from curate.builders.eurlex_sum.align import align_blocks
from curate.builders.eurlex_sum.parse import blocks_text, html_to_blocks
from curate.builders.eurlex_sum.splits import official_heldout, shuffled_heldout
from curate.errors import InputFormatError

CLUTTER = ("Avis juridique important", "EUR-Lex - 32004R0261", "legal_notice", "last update", ".xml", "►", "▼",
           "Official Journal of the European Union\n")


@pytest.fixture
def eurlex(shared_data):
    return shared_data / "eurlex"


def _check_clean(text: str) -> None:
    for junk in CLUTTER:
        assert junk not in text, junk


def test_act_261_2004_clean_text_and_blocks(eurlex):
    blocks = html_to_blocks((eurlex / "set_32004R0261_en/act_32004R0261_en.html").read_bytes())
    text = blocks_text(blocks)
    _check_clean(text)
    assert text.startswith("Regulation (EC) No 261/2004 of the European Parliament and of the Council\nof 11 February 2004")
    assert "Article 1\nSubject\n" in text and "Article 19\nEntry into force\n" in text  # first and last articles
    assert text.rstrip().endswith("other modes of transport than air, notably rail and maritime navigation.")
    kinds = Counter(b.type for b in blocks)
    assert len(blocks) == 197 and kinds["article"] == 19 and kinds["footnote"] == 6
    assert [b.id for b in blocks if b.type == "article"][:2] == ["art_1.1", "art_2.1"]
    assert len({b.id for b in blocks}) == len(blocks)  # ids are unique
    assert "of the Councilof" not in text  # the original's run-together words


def test_summary_l24173_clean_text_and_blocks(eurlex):
    blocks = html_to_blocks((eurlex / "set_32004R0261_en/summary_LEGISSUM_l24173_en.html").read_bytes())
    text = blocks_text(blocks)
    _check_clean(text)
    assert blocks[0].type == "title" and blocks[0].text.startswith("EU air passenger rights in case of denied boarding")
    assert text.count("EU air passenger rights in case of denied boarding") == 1  # title not repeated
    assert [b.text for b in blocks if b.type == "heading"][:3] == ["SUMMARY OF:", "WHAT IS THE AIM OF THE REGULATION?",
                                                                   "KEY POINTS"]
    assert blocks[-1].text.startswith("Judgment of the Court (Fourth Chamber) of 19 November 2009")
    assert "€250 for all flights of 1,500 kilometres or less;" in text  # nested list items kept
    assert len(blocks) == 59 and Counter(b.type for b in blocks)["list_item"] == 28


@pytest.mark.parametrize("name,first,last,min_blocks,kinds", [
    ("en_32002R0006_legacy_lexuriserv_old_1_raw.html", "Council Regulation (EC) No 6/2002", "(7) OJ L 299", 60,
     {"article", "footnote"}),
    ("de_32002F0584_legacy_lexuriserv_EUHb_de_raw.html", "Rahmenbeschluss des Rates", "Österreich erklärt", 90,
     {"article", "annex"}),
    ("en_32009L0065_consolidated_2013_moderncons_1_raw.html", "DIRECTIVE 2009/65/EC", "(3) See Annex III, Part A.",
     200, {"heading", "article", "table_row", "footnote", "list_item"}),
    ("de_31998F0699_consolidated_2001_old_consolidated_raw.html", "GEMEINSAME MAßNAHME", "(5) ABl. L 191", 50,
     {"article"}),
    ("en_32013R0575_oj2013_convex_modern_1_raw.html", "REGULATION (EU) No 575/2013", "(b) forward foreign-exchange",
     80, {"heading", "article", "list_item", "footnote"}),
    ("en_32016R0679_cellar_xhtml_oj_eli_abridged.xhtml", "CHAPTER I", "Transparency and modalities", 9,
     {"heading", "article"}),
    ("en_32024R1689_cellar_xhtml_oj_eli_abridged.xhtml", "CHAPTER I", "1. Directive 2006/42/EC", 19,
     {"heading", "article", "list_item"}),
])
def test_every_html_generation_parses(eurlex, name, first, last, min_blocks, kinds):
    blocks = html_to_blocks((eurlex / "act_html_eras" / name).read_bytes())
    text = blocks_text(blocks)
    _check_clean(text)
    assert blocks[0].text.startswith(first) and blocks[-1].text.startswith(last)
    assert len(blocks) >= min_blocks
    assert kinds <= {b.type for b in blocks}
    assert all(b.text == b.text.strip() and b.text for b in blocks)


def test_consolidated_cover_and_tables(eurlex):
    blocks = html_to_blocks((eurlex / "act_html_eras/en_32009L0065_consolidated_2013_moderncons_1_raw.html").read_bytes())
    text = blocks_text(blocks)
    assert "Amended by:" not in text and "documentation tool" not in text  # cover page gone
    assert text.count("DIRECTIVE 2009/65/EC OF THE EUROPEAN PARLIAMENT AND OF THE COUNCIL") == 1
    rows = [b for b in blocks if b.type == "table_row"]
    assert any("\t" in b.text for b in rows)  # multi-cell rows are tab-separated
    assert all(b.text.count("\t") < 6 for b in rows)


def test_eli_ids_are_stable_structure(eurlex):
    blocks = html_to_blocks((eurlex / "act_html_eras/en_32016R0679_cellar_xhtml_oj_eli_abridged.xhtml").read_bytes())
    ids = {b.text: b.id for b in blocks}
    assert ids["Article 1"] == "art_1.1" and ids["Subject-matter and objectives"] == "art_1.tit_1.1"
    assert ids["Article 5"] == "art_5.1"


def test_truncated_and_empty_pages_raise_clear_errors(eurlex):
    page = (eurlex / "set_32004R0261_en/act_32004R0261_en.html").read_bytes()
    with pytest.raises(InputFormatError, match="http://x/act: truncated HTML"):
        html_to_blocks(page[: len(page) // 2], "http://x/act")
    with pytest.raises(InputFormatError, match="empty page"):
        html_to_blocks(b"  ", "http://x/empty")
    with pytest.raises(InputFormatError, match="no text blocks"):
        html_to_blocks(b"<html><body><img src='scan.png'></body></html>", "http://x/scan")


def test_no_entity_expansion():
    page = (b'<?xml version="1.0"?><!DOCTYPE html [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            b"<html><body><p>before &xxe; after</p></body></html>")
    text = blocks_text(html_to_blocks(page))
    assert "root:" not in text and "before &xxe; after" in text  # the entity stays unexpanded


def test_official_split_ids():
    heldout = official_heldout()
    assert Counter(heldout.values()) == {"validation": 187, "test": 188}
    assert heldout["32019R1156"] == "test" and heldout["32021R0847"] == "validation"
    assert "32004R0261" not in heldout  # a train row


def test_seeded_shuffle_rule():
    ids = sorted(official_heldout())
    split = shuffled_heldout(list(reversed(ids)))  # input order does not matter
    assert split == shuffled_heldout(ids)
    assert Counter(split.values()) == {"validation": 187, "test": 188}  # first half (375 // 2) validation
    import numpy as np

    keys = list(ids)
    np.random.default_rng(seed=12121994).shuffle(keys)
    assert [k for k in keys[:187]] == sorted((k for k, v in split.items() if v == "validation"), key=keys.index)


def test_alignment_recovers_dropped_blocks(eurlex):
    blocks = [b.as_dict() for b in html_to_blocks((eurlex / "set_32004R0261_en/act_32004R0261_en.html").read_bytes())]
    dropped = {blocks[i]["id"] for i in (10, 11, 40, 120)}
    target = [b for b in blocks if b["id"] not in dropped]
    pairs = align_blocks(blocks, target)
    matched = [(p.source_ids[0], p.target_ids[0]) for p in pairs if p.source_ids and p.target_ids]
    assert all(s == t for s, t in matched) and len(matched) == len(target)
    assert {p.source_ids[0] for p in pairs if not p.target_ids} == dropped


def test_alignment_across_languages_pairs_shared_references(eurlex):
    folder = eurlex / "multilingual_text_32019R1156"

    def load(lang):
        lines = (folder / f"lexrank_paragraphs_{lang}.txt").read_text(encoding="utf-8").splitlines()
        return [{"id": f"p{i}", "type": "paragraph", "text": t} for i, t in enumerate(lines) if t.strip()]

    en, de = load("english"), load("german")
    pairs = align_blocks(en, de)
    assert sorted(i for p in pairs for i in p.source_ids) == sorted(b["id"] for b in en)  # each block once
    text_en, text_de = {b["id"]: b["text"] for b in en}, {b["id"]: b["text"] for b in de}
    # the paragraph citing Regulation 1286/2014 Article 32 is selected in both languages and must pair up
    src = next(b["id"] for b in en if "1286/2014" in b["text"] and "In accordance with" in b["text"])
    pair = next(p for p in pairs if p.source_ids == [src])
    assert pair.target_ids and "1286/2014" in text_de[pair.target_ids[0]] and "Artikel 32" in text_de[pair.target_ids[0]]
    assert text_en[src]


def _nested_page(depth: int) -> bytes:
    """An act whose text sits `depth` <div>s deep (broken markup nests like this), with text after it."""
    return ("<html><body><p>Article 1</p>" + "<div>" * depth + "<p>Deep provision.</p>" + "</div>" * depth
            + "<p>Article 2</p><p>Closing provision after the deep part.</p></body></html>").encode()


@pytest.mark.parametrize("depth", [300, 1500])
def test_deeply_nested_page_is_parsed_whole(depth):
    # libxml2 stops at 256 levels unless asked for more; nothing after that depth may be lost
    text = blocks_text(html_to_blocks(_nested_page(depth), "https://example.test/deep"))
    assert text == "Article 1\nDeep provision.\nArticle 2\nClosing provision after the deep part."


def test_page_nested_past_the_parser_limit_fails_naming_the_url():
    with pytest.raises(InputFormatError, match=r"https://example\.test/deeper.*nested deeper than"):
        html_to_blocks(_nested_page(5000), "https://example.test/deeper")


def _sparql_reply(body: bytes):
    from requests.structures import CaseInsensitiveDict

    from curate.fetch.response import FetchResponse

    return FetchResponse("https://sparql.test/q", 200, CaseInsensitiveDict({"Content-Type": "application/json"}),
                         body, False)


@pytest.mark.parametrize("body", [
    b'{"results": {"bindings": "nope"}}',
    b'{"results": {"bindings": [["summary", "celex"]]}}',
    b'{"results": {"bindings": [{"summary": "http://x/s", "celex": {"value": "32004R0261"}}]}}',
    b'{"results": {"bindings": [{"summary": {"value": "http://x/s"}, "celex": {"value": 32004}}]}}',
    b'{"results": {"bindings": ' + b"[" * 50_000 + b"]" * 50_000 + b"}}",
])
def test_wrong_shaped_or_deep_sparql_json_names_the_url(body):
    from curate.builders.eurlex_sum.cellar import parse_sparql_reply

    with pytest.raises(InputFormatError, match=r"https://sparql\.test/q"):
        parse_sparql_reply(_sparql_reply(body))
