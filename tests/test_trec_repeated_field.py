"""A field given twice in one <top> is an error naming the file and the second field's line, in both the
TREC (open) and CLEF (closed, language-prefixed) layouts; before, the later value silently replaced the earlier."""

from __future__ import annotations

from pathlib import Path

import pytest

from curate.builders.clef_queries.topics import parse_topic_text
from curate.errors import InputFormatError
from curate.formats.trec import parse_topics


def test_repeated_title_in_a_trec_topic_names_file_and_line() -> None:
    text = ("<top>\n<num> Number: 1\n<title> First\n\n<desc> Description:\nd\n</top>\n\n"
            "<top>\n<num> Number: 2\n<title> Lake Baikal\n<title> Baikal pollution\n<desc> Description:\nd\n</top>\n")
    with pytest.raises(InputFormatError, match=r"^t\.trec:12: <title> repeats the title field of the topic at "
                                               r"line 9 \(first given at line 11\)$") as info:
        parse_topics(text, "t.trec")
    assert info.value.path == "t.trec" and info.value.line == 12


@pytest.mark.parametrize("text, line, tag", [
    ("<top>\n<num> Number: 7\n<num> Number: 8\n<title> T\n</top>\n", 3, "num"),
    ("<top>\n<num> Number: 7\n<title> T\n<narr> Narrative:\nn\n<narr> Narrative:\nm\n</top>\n", 6, "narr"),
])
def test_repeated_num_or_narrative_in_a_trec_topic(text: str, line: int, tag: str) -> None:
    with pytest.raises(InputFormatError, match=rf"^t\.trec:{line}: <{tag}> repeats the {tag} field"):
        parse_topics(text, "t.trec")


def test_repeated_prefixed_field_in_a_clef_topic() -> None:
    text = ("<top>\n<num> C141 </num>\n<EN-title> Lake Baikal </EN-title>\n<EN-desc> Find it. </EN-desc>\n"
            "<EN-title> Baikal </EN-title>\n</top>\n")
    with pytest.raises(InputFormatError, match=r"^Top-en03\.txt:5: <EN-title> repeats the title field of the topic "
                                               r"at line 1 \(first given at line 3\)$"):
        parse_topic_text(text, Path("Top-en03.txt"), 2003)


def test_distinct_fields_and_repeated_unknown_tags_still_parse() -> None:
    # unknown tags are counted and dropped whatever their number; only known fields must be unique
    text = "<top>\n<num> Number: 3\n<title> T\n<x> a\n<x> b\n<desc> Description:\nD\n<narr> Narrative:\nN\n</top>\n"
    topics = parse_topics(text, "t.trec")
    assert [(t.topic_id, t.title, t.description, t.narrative) for t in topics] == [("3", "T", "D", "N")]
