"""eurlex-sum builder: generate() over recorded real pages replayed through CachedFetcher cassettes."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest

from curate.builder import BuildContext
from curate.builders.eurlex_sum import EurLexSum, cellar
from curate.builders.eurlex_sum.options import EurLexOptions
from curate.errors import OptionError
from curate.fetch import CachedFetcher, ChallengePageError, FetchError, RejectedAnswerError

ACT, SUMMARY = "32004R0261", "l24173"
SAMPLE = Path(__file__).resolve().parent.parent / "curate" / "builders" / "eurlex_sum" / "sample" / "cassette"


def _line(url, status, body_name, headers=None, accept=cellar.ACT_ACCEPT, lang="eng", params=None):
    req = {"Accept": accept, "Accept-Language": lang} if lang else {}
    return {"method": "GET", "url": url, "params": params, "request_headers": req, "data": None, "status": status,
            "headers": headers or {"Content-Type": "text/html;charset=UTF-8"},
            "body": f"bodies/{body_name}" if body_name else None, "note": "test"}


def _cassette(tmp_path: Path, acts: dict[str, list[dict]], extra: list[dict] = (), bodies: dict[str, bytes] = ()):
    """A cassette: the listing (acts → summary l24173, English), the sample's real bodies, and test lines."""
    folder = tmp_path / "cassette"
    (folder / "bodies").mkdir(parents=True)
    for f in (SAMPLE / "bodies").iterdir():
        (folder / "bodies" / f.name).write_bytes(f.read_bytes())
    for name, content in dict(bodies).items():
        (folder / "bodies" / name).write_bytes(content)
    listing = json.loads((SAMPLE / "bodies" / "sparql_listing.json").read_text())
    row = listing["results"]["bindings"][0]
    listing["results"]["bindings"] = [{**row, "celex": {**row["celex"], "value": c}} for c in acts]
    (folder / "bodies" / "sparql_listing.json").write_text(json.dumps(listing))
    lines = [json.loads(x) for x in (SAMPLE / "index.jsonl").read_text().splitlines()]
    out = [lines[0], lines[2]]  # SPARQL listing and the summary
    for act_lines in acts.values():
        out.extend(act_lines)
    out.extend(extra)
    (folder / "index.jsonl").write_text("".join(json.dumps(x) + "\n" for x in out))
    return folder


def _ctx(tmp_path, cassette, config="en", **options):
    builder = EurLexSum()
    fetcher = CachedFetcher(tmp_path / "http", cassette=cassette, backoff=0.01)
    ctx = BuildContext(config=builder.config(config), out_dir=tmp_path / "out", options=EurLexOptions(**options),
                       _fetcher=fetcher)
    ctx.prepared = builder.prepare(ctx)  # the listing, handed to generate as the runner does
    return builder, ctx


def _act_line(celex, status=200, body="act_32004R0261_en.html", **kw):
    return _line(f"{cellar.CELLAR}/celex/{celex}", status, body, **kw)


def test_generate_on_the_sample_cassette(tmp_path):
    builder, ctx = _ctx(tmp_path, SAMPLE)
    assert builder.work_units(ctx) == [ACT]
    rows = list(builder.generate(ACT, ctx))
    assert len(rows) == 1 and not ctx.skipped
    config, split, row = rows[0]
    assert config == "en"
    assert split == "train"
    assert row["celex_id"] == ACT and row["summary_id"] == SUMMARY and row["language"] == "en"
    assert row["title"].startswith("EU air passenger rights") and row["date"] == "2004-02-11"
    assert row["reference"].startswith("Regulation (EC) No 261/2004") and "Article 19\nEntry into force" in row["reference"]
    assert "Avis juridique" not in row["reference"] and "last update" not in row["summary"]
    assert row["summary"].startswith("EU air passenger rights") and "KEY POINTS" in row["summary"]
    assert len(row["reference_blocks"]) == 197 and len(row["summary_blocks"]) == 59
    assert row["source_urls"] == [f"{cellar.CELLAR}/celex/{ACT}", f"{cellar.CELLAR}/legissum/{SUMMARY}"]
    # the record fits the declared schema
    pa.Table.from_pylist([row], schema=pa.schema(builder.features(ctx.config).arrow_schema))
    # languages the summary lacks are counted, not fetched
    _, ctx_de = _ctx(tmp_path / "de", SAMPLE, config="de")
    assert list(builder.generate(ACT, ctx_de)) == [] and ctx_de.skipped == {"summary not available in this language": 1}


def test_retry_on_429_and_503_then_success(tmp_path):
    cassette = _cassette(tmp_path, {ACT: [_act_line(ACT, 429, None, headers={"Retry-After": "0"}),
                                          _act_line(ACT, 503, None), _act_line(ACT)]})
    builder, ctx = _ctx(tmp_path, cassette)
    rows = list(builder.generate(ACT, ctx))
    assert len(rows) == 1 and ctx.fetcher.stats["retries"] == 2


def test_waf_challenge_on_eurlex_fallback_fails_the_unit(tmp_path):
    fallback = _line(f"{cellar.EURLEX}/EN/TXT/HTML/", 202, None, lang=None, params={"uri": f"CELEX:{ACT}"},
                     headers={"x-amzn-waf-action": "challenge", "Content-Length": "0"})
    cassette = _cassette(tmp_path, {ACT: [_act_line(ACT, 406, None), fallback]})
    builder, ctx = _ctx(tmp_path, cassette)
    with pytest.raises(ChallengePageError):  # network weather is not missing data: the rerun retries the unit
        list(builder.generate(ACT, ctx))
    assert not ctx.skipped and ctx.fetcher.stats["challenges"] == 1


@pytest.mark.parametrize("status", [503, 202])
def test_fetch_failure_fails_the_unit_instead_of_a_skip(tmp_path, status):
    cassette = _cassette(tmp_path, {ACT: [_act_line(ACT, status, None)]})
    builder, ctx = _ctx(tmp_path, cassette)
    ctx.fetcher.retries = 1
    with pytest.raises(FetchError, match=f"HTTP {status}"):
        list(builder.generate(ACT, ctx))
    assert not ctx.skipped


@pytest.mark.parametrize("body", [
    b"<html><head><title>Service temporarily unavailable</title></head><body><h1>Scheduled maintenance</h1>"
    b"<p>We will be back soon.</p></body></html>",
    None,  # the real act cut in half (a connection closed early)
])
def test_refused_page_fails_the_unit_is_never_cached_and_the_rerun_builds(tmp_path, body):
    page = (SAMPLE / "bodies/act_32004R0261_en.html").read_bytes()
    bad = body if body is not None else page[: len(page) // 2]
    cassette = _cassette(tmp_path, {ACT: [_act_line(ACT, body="bad.html"), _act_line(ACT, body="bad.html"),
                                          _act_line(ACT)]}, bodies={"bad.html": bad})
    builder, ctx = _ctx(tmp_path, cassette)
    ctx.fetcher.retries = 1
    with pytest.raises(RejectedAnswerError, match="maintenance|truncated HTML"):
        list(builder.generate(ACT, ctx))
    assert not ctx.skipped and ctx.fetcher.stats["rejected"] == 2
    cached = [p.read_bytes() for p in (tmp_path / "http" / "objects").iterdir()]
    assert bad not in cached
    rows = list(builder.generate(ACT, ctx))  # the rerun asks again and gets the act
    assert [r["celex_id"] for *_, r in rows] == [ACT]


def test_pdf_only_act_is_skipped(tmp_path):
    fallback = _line(f"{cellar.EURLEX}/EN/TXT/HTML/", 404, None, lang=None, params={"uri": f"CELEX:{ACT}"})
    cassette = _cassette(tmp_path, {ACT: [_act_line(ACT, 200, "scan.pdf", headers={"Content-Type": "application/pdf"}),
                                          fallback]}, bodies={"scan.pdf": b"%PDF-1.4 scanned"})
    builder, ctx = _ctx(tmp_path, cassette)
    assert list(builder.generate(ACT, ctx)) == []
    assert ctx.skipped == {"no HTML text for act or summary (PDF scan or missing)": 1}


def test_textless_page_is_counted_and_the_build_continues(tmp_path, shared_data, caplog):
    legacy = shared_data / "eurlex/act_html_eras/en_32009L0065_consolidated_2013_moderncons_1_raw.html"
    other = "32009L0065"  # real consolidated act: 4,408 words, shorter than 261/2004 (4,460)
    cassette = _cassette(tmp_path, {ACT: [_act_line(ACT, body="textless.html")],
                                    other: [_act_line(other, body="legacy.html")]},
                         bodies={"textless.html": b"<html><body><div> </div></body></html>",
                                 "legacy.html": legacy.read_bytes()})
    builder, ctx = _ctx(tmp_path, cassette)
    assert builder.work_units(ctx) == [ACT, other]
    assert list(builder.generate(ACT, ctx)) == []
    assert ctx.skipped == {"malformed page": 1}  # the same answer on every rerun: a permanent skip
    assert f"{cellar.CELLAR}/celex/{ACT}: no text blocks found" in caplog.text
    rows = list(builder.generate(other, ctx))  # the unit sharing the summary is kept: the other act is unusable
    assert [r["celex_id"] for *_, r in rows] == [other]


def test_shared_summary_keeps_the_longest_act(tmp_path, shared_data):
    legacy = shared_data / "eurlex/act_html_eras/en_32009L0065_consolidated_2013_moderncons_1_raw.html"
    other = "32009L0065"  # real consolidated act: 4,408 words, shorter than 261/2004 (4,460)
    cassette = _cassette(tmp_path, {ACT: [_act_line(ACT)], other: [_act_line(other, body="legacy.html")]},
                         bodies={"legacy.html": legacy.read_bytes()})
    builder, ctx = _ctx(tmp_path, cassette)
    assert [r["celex_id"] for u in builder.work_units(ctx) for *_, r in builder.generate(u, ctx)] == [ACT]
    assert ctx.skipped == {"summary shared by several acts: a longer act kept": 1}


def test_split_ids_option_and_languages_validation(tmp_path):
    builder, ctx = _ctx(tmp_path, SAMPLE, split_ids=True)
    assert [s for _, s, _ in builder.generate(ACT, ctx)] == ["train"]  # 32004R0261 is a published train row
    assert builder._catalogue(ctx).heldout["32019R1156"] == "test"
    with pytest.raises(OptionError, match="--languages: unknown value 'xx'; valid values: bg, cs"):
        _ctx(tmp_path / "x", SAMPLE, config="xling", languages="en,xx")  # refused when the options are made


def test_cli_sample_build_end_to_end_and_resume(tmp_path):
    from curate.cli import main

    out = tmp_path / "build"
    assert main(["build", "eurlex-sum", "--sample", "--out", str(out)]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["configs"]["en"]["splits"]["train"]["rows"] == 1
    card = (out / "README.md").read_text()
    assert "| train | 1 | 4460.0 |" in card and "1129 / 187 / 188" in card
    before = (out / "manifest.json").read_text()
    assert main(["build", "eurlex-sum", "--sample", "--out", str(out)]) == 0  # resume: nothing to redo
    assert json.loads((out / "manifest.json").read_text())["configs"] == json.loads(before)["configs"]
