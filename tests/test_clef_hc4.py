"""HC4 parsing checked against the counts published with HC4 (ir_datasets' metadata.json for hc4/{fa,ru,zh}/*).

The HC4 files are not shipped: the tests read ../shared/data/hc4 beside the repository and are skipped
when it is absent.
"""

import json
from collections import Counter
from pathlib import Path

import pytest

from curate.builders.clef_queries import hc4
from curate.builders.clef_queries.records import Hc4Files, hc4_qrels, hc4_topics
from curate.errors import CurateError, InputFormatError

HC4_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "hc4"
needs_hc4 = pytest.mark.skipif(not HC4_DIR.is_dir(), reason=f"HC4 test copy not present at {HC4_DIR} (never shipped)")

# allenai/ir_datasets ir_datasets/etc/metadata.json: queries count and qrels counts_by_value per subset.
PUBLISHED = {
    ("fa", "train"): (8, {0: 67, 1: 23, 3: 22}), ("fa", "dev"): (10, {0: 456, 1: 46, 3: 63}),
    ("fa", "test"): (50, {0: 2101, 1: 215, 3: 206}), ("ru", "train"): (7, {0: 38, 1: 31, 3: 23}),
    ("ru", "dev"): (4, {0: 186, 1: 67, 3: 12}), ("ru", "test"): (50, {0: 2297, 1: 411, 3: 262}),
    ("zh", "train"): (23, {0: 173, 1: 140, 3: 28}), ("zh", "dev"): (10, {0: 374, 1: 30, 3: 62}),
    ("zh", "test"): (50, {0: 2277, 1: 192, 3: 282}),
}
TOPICS_PER_SPLIT = {"train": 27, "dev": 15, "test": 118}  # hltcoe/HC4 topic files


@needs_hc4
def test_topics_per_split_and_per_language_with_qrels():
    files = Hc4Files(HC4_DIR)
    rows = list(hc4_topics(files))
    english = Counter(split for split, r in rows if r["language"] == "en" and r["origin"] == "original")
    assert english == TOPICS_PER_SPLIT
    human = Counter((r["language"], split) for split, r in rows if r["origin"] == "human_translation")
    assert human == {key: n for key, (n, _) in PUBLISHED.items()}  # a human translation exactly where qrels exist
    mt = [r for _, r in rows if r["origin"] == "machine_translation"]
    assert mt and all(r["mt_system"] for r in mt)
    assert {r["language_iso3"] for _, r in rows} == {"eng", "fas", "rus", "zho"}


@needs_hc4
def test_qrels_counts_by_relevance_match_published():
    got: dict = {}
    for split, r in hc4_qrels(Hc4Files(HC4_DIR)):
        got.setdefault((r["doc_language"], split), Counter())[r["relevance"]] += 1
    assert {k: dict(v) for k, v in got.items()} == {k: grades for k, (_, grades) in PUBLISHED.items()}
    topics = Counter()
    for split, r in hc4_qrels(Hc4Files(HC4_DIR)):
        topics[(r["doc_language"], split, r["topic_id"])] = 1
    per = Counter((lang, split) for lang, split, _ in topics)
    assert per == {k: n for k, (n, _) in PUBLISHED.items()}


@needs_hc4
def test_checksum_mismatch_is_refused(tmp_path):
    (tmp_path / "fas").mkdir()
    data = (HC4_DIR / "fas/dev.qrels.v1-0.txt").read_bytes()
    (tmp_path / "fas/dev.qrels.v1-0.txt").write_bytes(data.replace(b" 3\n", b" 1\n", 1))
    with pytest.raises(CurateError, match="does not match the pinned"):
        Hc4Files(tmp_path).text("fas/dev.qrels.v1-0.txt")


def test_bad_hc4_lines_name_file_and_line():
    with pytest.raises(InputFormatError, match=r"fas/x.txt:2: relevance 2 is not one of \[0, 1, 3\]"):
        hc4.parse_qrels("1 0 a 1\n1 0 b 2\n", "fas/x.txt")
    with pytest.raises(InputFormatError, match=r"t.jsonl:1: HC4 topic misses the key 'topics'"):
        hc4.parse_topics_jsonl('{"topic_id": "1"}\n', "t.jsonl")


@needs_hc4
def test_download_path_asks_for_the_pinned_commit_url_and_checks_it():
    asked = []

    class Response:
        def __init__(self, content):
            self.content = content

    class Fetcher:  # stands in for CachedFetcher.get: records the URL, serves the local copy
        def get(self, url, accept=None):
            asked.append(url)
            return Response((HC4_DIR / url.split("/resources/hc4/")[1]).read_bytes())

    text = Hc4Files(None, Fetcher()).text("rus/dev.qrels.v1-0.txt")
    assert asked == [f"https://raw.githubusercontent.com/hltcoe/HC4/{hc4.HC4_COMMIT}/resources/hc4/rus/dev.qrels.v1-0.txt"]
    assert len(text.splitlines()) == 265


# ---- curate export: HC4 MT systems and CLEF/HC4 id collisions (issues 11 and 13) ------------------------
NEW_MT, OLD_MT = "20220114-scale21-sockeye2-tm1", "20210711-scale18-sockeye2-tl1"


def _topic(collection, topic_id, language, origin, mt_system=None, title="t"):
    return {"topic_id": topic_id, "collection": collection, "language": language, "language_iso3": "",
            "title": f"{title} {mt_system or origin}", "description": "d", "narrative": None, "origin": origin,
            "mt_system": mt_system}


@pytest.fixture
def small_build(tmp_path):
    """A tiny build folder: HC4 topic 1001 with two Persian MT systems, CLEF C142 and HC4 142 in qrels."""
    import datasets

    topics = [_topic("hc4", "1001", "fa", "machine_translation", OLD_MT),
              _topic("hc4", "1001", "fa", "machine_translation", NEW_MT),
              _topic("hc4", "1002", "fa", "machine_translation", "20211005-scale21-sockeye2-tm1"),
              _topic("hc4", "1002", "fa", "machine_translation", OLD_MT),
              _topic("hc4", "1003", "fa", "human_translation"),
              _topic("hc4", "1003", "fa", "machine_translation", NEW_MT)]
    qrels = [{"topic_id": "C142", "doc_id": "LA010194-0001", "relevance": 1, "doc_language": "en", "collection": "clef2003"},
             {"topic_id": "142", "doc_id": "0a1b-uuid", "relevance": 3, "doc_language": "fa", "collection": "hc4"}]
    datasets.DatasetDict({"train": datasets.Dataset.from_list(topics)}).save_to_disk(str(tmp_path / "topics"))
    datasets.DatasetDict({"test": datasets.Dataset.from_list(qrels)}).save_to_disk(str(tmp_path / "qrels"))
    return tmp_path


def _export(capsys, *args):
    from curate.cli import main

    status = main(["export", "clef-queries", *map(str, args)])
    out, err = capsys.readouterr()
    return status, out, err


def test_qrels_export_refuses_colliding_collections_like_trec(small_build, capsys):
    status, out, err = _export(capsys, small_build, "--format", "qrels")
    assert status == 2 and out == "" and "collide across collections ['clef2003', 'hc4'] (e.g. 142)" in err
    status, out, _ = _export(capsys, small_build, "--format", "qrels", "--collection", "hc4")
    assert status == 0 and out == "142 0 0a1b-uuid 3\n"


def test_mt_system_default_is_the_ir_datasets_one_and_choices_are_explicit(small_build, capsys):
    status, _, err = _export(capsys, small_build, "--format", "jsonl", "--language", "fa")
    # topic 1002 has two MT systems and neither is the ir_datasets one: the user must choose
    assert status == 2 and "1002 has machine translations from several systems" in err and OLD_MT in err
    status, out, _ = _export(capsys, small_build, "--format", "jsonl", "--language", "fa", "--split", "train",
                             "--origin", "machine_translation", "--mt-system", NEW_MT)
    assert status == 0 and [json.loads(x)["query_id"] for x in out.splitlines()] == ["1001", "1003"]
    status, _, err = _export(capsys, small_build, "--format", "trec", "--language", "fa", "--mt-system", "nope")
    assert status == 2 and f"no fa topics from MT system 'nope'; available: {OLD_MT}, 20211005-scale21-sockeye2-tm1, {NEW_MT}" in err


def test_default_picks_ir_datasets_system_over_older_ones(small_build, capsys):
    from curate.builders.clef_queries.export import select_topics

    rows = [_topic("hc4", "1001", "fa", "machine_translation", s) for s in (OLD_MT, NEW_MT)]
    rows += [_topic("hc4", "1003", "fa", "human_translation"), _topic("hc4", "1003", "fa", "machine_translation", NEW_MT)]
    chosen = select_topics(rows, "fa", None, None, None)
    assert [(t["topic_id"], t["origin"], t["mt_system"]) for t in chosen] == [
        ("1001", "machine_translation", NEW_MT), ("1003", "human_translation", None)]


@needs_hc4
def test_real_hc4_persian_train_exports_the_ir_datasets_mt_system():
    from curate.builders.clef_queries.export import select_topics

    rows = [rec for split, rec in hc4_topics(Hc4Files(HC4_DIR)) if split == "train"]
    chosen = select_topics(rows, "fa", "hc4", "machine_translation", None)
    assert len(chosen) == 27 and {t["mt_system"] for t in chosen} == {NEW_MT}
