"""HC4 parsing checked against the counts published with HC4 (ir_datasets' metadata.json for hc4/{fa,ru,zh}/*).

The HC4 files are not shipped: the tests read ../shared/data/hc4 beside the repository and are skipped
when it is absent.
"""

from collections import Counter
from pathlib import Path

import pytest

from builders.clef_queries import hc4
from builders.clef_queries.records import Hc4Files, hc4_qrels, hc4_topics
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
        def get(self, url):
            asked.append(url)
            return Response((HC4_DIR / url.split("/resources/hc4/")[1]).read_bytes())

    text = Hc4Files(None, Fetcher()).text("rus/dev.qrels.v1-0.txt")
    assert asked == [f"https://raw.githubusercontent.com/hltcoe/HC4/{hc4.HC4_COMMIT}/resources/hc4/rus/dev.qrels.v1-0.txt"]
    assert len(text.splitlines()) == 265
