"""The entity-cs builder end to end: sample cassette, record invariants, the runner with 1 and 2 workers."""

import bz2
import json
import re
from pathlib import Path

import pyarrow as pa
import pytest

from curate.build import build
from curate.builder import BuildContext
from curate.builders.entity_cs import EntityCodeSwitch
from curate.builders.entity_cs.multistream import split_dump, write_multistream
from curate.builders.entity_cs.options import EntityCsOptions
from curate.errors import CurateError
from curate.run import BuildOptions
from curate.staging import Staging

SAMPLE = Path(__file__).resolve().parent.parent / "curate/builders/entity_cs/sample"
LABELS = json.loads((SAMPLE / "cassette/bodies/wbgetentities-labels.json").read_text())["entities"]
SITELINKS = {"Q42": "Douglas Adams", "Q131261": "Oliver Kahn", "Q571": "Book", "Q2112": "Bielefeld"}


def sample_records(tmp_path, config, **options):
    b = EntityCodeSwitch()
    ctx = BuildContext(config=b.config(config), out_dir=tmp_path, sample=True, cassette=SAMPLE / "cassette",
                       options=EntityCsOptions(**options))
    units = b.work_units(ctx)
    assert units == ["0:enwiki-pages-articles-sample.xml.bz2", "1:synthetic-entity-page.xml"]
    return [r for u in units for _, _, r in b.generate(u, ctx)], ctx


def check_markup(text, entities, lang, prefix):
    assert len(re.findall(r"<[a-z]{2,3}>", text)) == len(re.findall(r"</[a-z]{2,3}>", text)) == len(entities)
    assert re.fullmatch(r"([^<>]|<([a-z]{2,3})>[^<>]*</\2>)*", text), text  # balanced, never nested
    for e in entities:
        start, end = e[f"{prefix}_start"], e[f"{prefix}_end"]
        assert text[start:end] == e[f"{prefix}_text"]
        tag = lang if prefix == "cs" and e["qid"] else "en"
        assert text[start - len(tag) - 2:start] == f"<{tag}>" and text[end:end + len(tag) + 3] == f"</{tag}>"


def test_sample_en_records(tmp_path):
    records, ctx = sample_records(tmp_path, "en")
    assert len(records) == 87 and ctx.skipped["page_redirect"] == 1
    by_id = {r["id"]: r for r in records}
    first = by_id["411964-0"]
    assert first["en_sentence"].startswith("In <en>human–computer interaction</en>, computer accessibility")
    assert first["source"] == {"page_id": 411964, "revision_id": 627945420, "title": "Computer accessibility"}
    assert all(e["qid"] is None for e in first["entities"])  # the cassette resolves no QID for these titles
    syn = by_id["900000001-2"]
    assert syn["en_sentence"] == "Many <en>books</en> about <en>Oliver Kahn</en> were signed by <en>Adams</en> as a joke."
    assert [e["qid"] for e in syn["entities"]] == ["Q571", "Q131261", "Q42"]  # trail, redirect
    assert [e["qid"] for e in by_id["900000001-1"]["entities"]] == ["Q571", "Q42", "Q2112"]  # lower-case targets
    assert [e["qid"] for e in by_id["900000001-3"]["entities"]] == ["Q42", None]  # a page without an item
    for r in records:
        check_markup(r["en_sentence"], r["entities"], "en", "en")


def test_sample_switched_records(tmp_path):
    per_lang = {}
    for lang in ("de", "fr", "ja", "sw"):
        per_lang[lang], _ = sample_records(tmp_path / lang, lang)
    ids = [r["id"] for recs in per_lang.values() for r in recs]
    assert ids and all(i.startswith("900000001-") for i in ids)
    for lang, recs in per_lang.items():
        for r in recs:
            assert r["language"] == lang
            check_markup(r["cs_sentence"], r["entities"], lang, "cs")
            check_markup(r["en_sentence"], r["entities"], "en", "en")
            for e in r["entities"]:
                if e["qid"]:
                    assert e["cs_text"] == LABELS[e["qid"]]["labels"][lang]["value"]
    # each sentence gets at most K=5 languages, and the choice is reproducible
    again, _ = sample_records(tmp_path / "again", "de")
    assert again == per_lang["de"]


def test_offsets_slice_back_in_a_known_sentence(tmp_path):
    records, _ = sample_records(tmp_path, "de", languages="de,fr", num_translations=5)
    r = next(r for r in records if r["id"] == "900000001-1")
    assert r["cs_sentence"] == "Every <de>Buch</de> written by <de>Douglas Adams</de> sold well in <de>Bielefeld</de>."
    assert [(r["cs_sentence"][e["cs_start"]:e["cs_end"]], r["en_sentence"][e["en_start"]:e["en_end"]])
            for e in r["entities"]] == [("Buch", "book"), ("Douglas Adams", "douglas Adams"), ("Bielefeld", "the city")]


# ---- the runner: Wikidata JSON dump route, multistream units, 1 vs 2 workers ------------------------------
def wikidata_dump(path: Path) -> Path:
    lines = [json.dumps({"type": "item", "id": q, "labels": e["labels"],
                         "sitelinks": {"enwiki": {"site": "enwiki", "title": SITELINKS[q], "badges": []}}})
             for q, e in sorted(LABELS.items())]
    path.write_text("[\n" + ",\n".join(lines) + "\n]\n")
    return path


def multistream(tmp_path: Path) -> Path:
    header, pages, footer = split_dump(bz2.decompress((SAMPLE / "enwiki-pages-articles-sample.xml.bz2").read_bytes()))
    synthetic = (SAMPLE / "synthetic-entity-page.xml").read_bytes()
    pages = pages + [re.search(rb"<page>.*</page>", synthetic, re.S).group() + b"\n"]
    out = tmp_path / "enwiki-x-pages-articles-multistream.xml.bz2"
    write_multistream(header, pages * 3, footer, out, tmp_path / "enwiki-x-pages-articles-multistream-index.txt.bz2",
                      pages_per_stream=1)
    return out


def run_build(out, dump, wd, workers):
    opts = BuildOptions(out_dir=out, workers=workers, cache_dir=out.parent / "cache", progress=False,
                        options={"dump": [str(dump)], "wikidata_dump": str(wd), "streams_per_unit": 2})
    return build(EntityCodeSwitch(), ["en", "de"], opts)


def table(out: Path, config: str) -> pa.Table:
    files = sorted((out / config / "train").glob("*.arrow"))
    return pa.concat_tables(pa.ipc.open_stream(f.read_bytes()).read_all() for f in files)


@pytest.mark.slow
def test_one_and_two_workers_give_identical_shards(tmp_path):
    dump, wd = multistream(tmp_path), wikidata_dump(tmp_path / "wikidata.json")
    run_build(tmp_path / "w1", dump, wd, 1)
    run_build(tmp_path / "w2", dump, wd, 2)
    for config in ("en", "de"):
        t1, t2 = table(tmp_path / "w1", config), table(tmp_path / "w2", config)
        assert t1.num_rows > 0 and t1.equals(t2)
    en = table(tmp_path / "w1", "en").to_pylist()
    assert len(en) == 3 * 87
    # the dump route resolves sitelink titles, first letter upper-cased, but follows no redirects
    syn = [r for r in en if r["id"] == "900000001-2"][0]
    assert [e["qid"] for e in syn["entities"]] == ["Q571", "Q131261", None]


@pytest.mark.slow
def test_truncated_dump_fails_its_unit_and_keeps_the_finished_ones(tmp_path):
    dump, wd = multistream(tmp_path), wikidata_dump(tmp_path / "wikidata.json")
    with open(dump, "r+b") as fh:
        fh.truncate(dump.stat().st_size - 200)  # inside the last page stream
    with pytest.raises(CurateError, match=f"{dump.name} \\(bytes \\d+-end\\): truncated or corrupt bz2"):
        run_build(tmp_path / "out", dump, wd, 1)
    parts = sorted(Staging(tmp_path / "out").parts_dir("en").iterdir())
    done = [p for p in parts if (p / "done.json").exists()]
    # the unit holding the cut stream failed; every unit that ran before it kept its finished output
    assert parts[-1].name.startswith("000005-") and not (parts[-1] / "done.json").exists()
    assert done == parts[:-1] and len(done) >= 1
    assert sum(json.loads((p / "done.json").read_text())["rows"]["train"] for p in done) > 0
