"""Wikitext → sentences with link spans, and the EntityCS sentence recipe."""

from pathlib import Path

from curate.builders.entity_cs.dump import iter_pages
from curate.builders.entity_cs.recipe import Recipe, render
from curate.builders.entity_cs.sentences import paragraphs, split_sentences
from curate.builders.entity_cs.wikitext import clean_wikitext

SAMPLE = Path(__file__).resolve().parent.parent / "curate/builders/entity_cs/sample"
PEAR = SAMPLE / "fixtures/article-pear.xml"


def sentences(text, **kw):
    return [s for p in paragraphs(text, **kw) for s in split_sentences(p)]


def test_link_trail_joins_the_anchor_by_default_and_stays_outside_in_parity_mode():
    text = "Pears are [[tree]]s of the [[genus]] Pyrus, like the [[Apple|apple]]s."
    (s,) = sentences(text)
    assert s.text == "Pears are trees of the genus Pyrus, like the apples."
    assert [(s.text[lk.start:lk.end], lk.target) for lk in s.links] == [
        ("trees", "tree"), ("genus", "genus"), ("apples", "Apple")]
    (p,) = sentences(text, trail_in_anchor=False)
    en, spans = render(p, "en", [None] * len(p.links))
    assert en == "Pears are <en>tree</en>s of the <en>genus</en> Pyrus, like the <en>apple</en>s."
    de, spans = render(p, "de", ["Baum", "Gattung", None])
    assert de == "Pears are <de>Baum</de>s of the <de>Gattung</de> Pyrus, like the <en>apple</en>s."
    assert [de[a:b] for a, b in spans] == ["Baum", "Gattung", "apple"]


def test_files_categories_templates_tables_refs_are_dropped():
    text = ("{{Infobox|name=[[Not me]]}}\n{| class=\"wikitable\"\n| [[Cell link]] || x\n|}\n"
            "[[File:X.jpg|thumb|A caption with [[Nested link]].]]\n"
            "The [[United Nations]] met in [[New York City|New York]].<ref>{{cite web|url=x}}</ref> "
            "See [[Wikipedia:Accessibility]] and [[:Category:Things]].<!-- [[Hidden]] -->\n"
            "[[Category:Organisations]]\n[[de:Vereinte Nationen]]")
    cleaned = clean_wikitext(text)
    for gone in ("Not me", "Cell link", "Nested link", "Hidden", "Organisations", "Vereinte", "cite"):
        assert gone not in cleaned
    (s1, s2) = sentences(text)
    assert s1.text == "The United Nations met in New York."
    assert [lk.target for lk in s1.links] == ["United Nations", "New York City"]
    # namespace links are shown as text but are not entities
    assert s2.text == "See Wikipedia:Accessibility and Category:Things."
    assert s2.links == ()


def test_sentence_splitter_never_cuts_inside_a_link_and_keeps_abbreviations():
    text = "He met [[St. Louis Cardinals|the St. Louis team]] in 1990, e.g. at home. Then [[J. R. R. Tolkien]] wrote."
    ss = sentences(text)
    assert [s.text for s in ss] == ["He met the St. Louis team in 1990, e.g. at home.", "Then J. R. R. Tolkien wrote."]
    assert ss[1].text[ss[1].links[0].start:ss[1].links[0].end] == "J. R. R. Tolkien"


def test_recipe_filters_are_parameters():
    r = Recipe()
    (ok,) = sentences("The [[tree]] grows in the [[forest]] near the river bank.")
    assert r.reject(ok) is None
    (none,) = sentences("No links in this fairly long sentence at all.")
    assert r.reject(none) == "sentence_too_few_links"
    (short,) = sentences("A [[tree]] grows.")
    assert r.reject(short) == "sentence_too_short"
    (long_link,) = sentences("See [[Convention on the Rights of Persons with Disabilities]] now.")
    assert r.reject(long_link) == "sentence_link_too_long"
    assert Recipe(max_link_fraction=0.95).reject(long_link) is None
    many = " ".join(f"[[x{i}]]" for i in range(11)) + " are many links in a row."
    assert r.reject(sentences(many)[0]) == "sentence_too_many_links"
    words = "word " * 130 + "[[tree]]."
    assert r.reject(sentences(words)[0]) == "sentence_too_many_tokens"
    assert Recipe(max_tokens=200).reject(sentences(words)[0]) is None


def test_seeded_language_choice_is_reproducible_and_bounded():
    r = Recipe(num_translations=5, seed=3)
    langs = [f"l{i:02d}" for i in range(40)]
    a = r.choose_languages("10-2", langs)
    assert a == r.choose_languages("10-2", list(reversed(langs))) and len(a) == 5 and a == sorted(a)
    assert Recipe(seed=4).choose_languages("10-2", langs) != a or Recipe(seed=5).choose_languages("10-2", langs) != a
    assert r.choose_languages("x", ["de", "fr"]) == ["de", "fr"]


def test_real_dump_pages_give_linked_sentences():
    pages = list(iter_pages(SAMPLE / "enwiki-pages-articles-sample.xml.bz2"))
    page = next(p for p in pages if p.title == "Computer accessibility")
    ss = sentences(page.text)
    first = ss[0]
    assert first.text.startswith("In human–computer interaction, computer accessibility (also known as")
    assert [first.text[lk.start:lk.end] for lk in first.links] == [
        "human–computer interaction", "accessibility", "computer system", "disability"]
    assert all("[[" not in s.text and "{{" not in s.text for s in ss)


def test_latest_revision_and_trails_on_real_export():
    (page,) = list(iter_pages(PEAR))
    assert page.revision_id == 188924  # the last of the 4 revisions
    s = sentences(page.text)[0]
    assert s.text.startswith("Pears are trees of the genus")
    assert (s.links[0].target, s.links[0].anchor) == ("tree", "trees")
