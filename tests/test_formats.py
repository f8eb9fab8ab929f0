"""Shared readers and writers in curate/formats: bad bytes are errors naming file and line; TREC round trips."""

from __future__ import annotations

import pytest

from curate.errors import InputFormatError
from curate.formats.conllu import read_conllu
from curate.maltese.resources import read_annotations

CONLLU = ("# sent_id = s1\n# text = Il-kelb\n1\tIl-\til-\tDET\t_\t_\t2\tdet\t_\t_\n2\tkelb\tkelb\tNOUN\t_\t_\t0\troot\t_\t_\n\n"
          "# sent_id = s2\n# text = Ħobż\n1\tĦobż\tħobż\tNOUN\t_\t_\t0\troot\t_\t_\n\n")


def test_conllu_with_invalid_utf8_names_file_and_line(tmp_path):
    path = tmp_path / "bad.conllu"
    path.write_bytes(CONLLU.replace("Ħobż\tħobż", "\x00").encode("utf-8").replace(b"\x00", b"\xc4obz\tobz"))
    with pytest.raises(InputFormatError, match=r"bad.conllu:8: byte 0xc4 .*not valid UTF-8"):
        list(read_conllu(path))


def test_conllu_valid_utf8_still_reads(tmp_path):
    path = tmp_path / "ok.conllu"
    path.write_bytes(CONLLU.encode("utf-8"))
    assert [s.tokens for s in read_conllu(path)] == [["Il-", "kelb"], ["Ħobż"]]


def test_annotations_tsv_with_invalid_utf8_names_file_and_line(tmp_path):
    path = tmp_path / "annotations.tsv"
    path.write_bytes(b"id\ttoken\tcategory\tcategory_merged\n0\tkelb\tArabic\tArabic\n0\t\xe7ar\tArabic\tArabic\n")
    with pytest.raises(InputFormatError, match=r"annotations.tsv:3: byte 0xe7 .*not valid UTF-8"):
        read_annotations(path)


# ---- TREC topics and qrels ----------------------------------------------------------------------------
def test_trec_topics_round_trip_and_labels_are_stripped():
    from curate.formats.trec import TrecTopic, format_topics, parse_topics

    topics = [TrecTopic("141", "Letter bomb for Kiesbauer", "Find information on the explosion.", "Relevant: who."),
              TrecTopic("1001", "Пожар в соборе", "Что случилось?", "Документы о пожаре.")]
    text = format_topics(topics)
    assert text.startswith("<top>\n<num> Number: 141\n<title> Letter bomb for Kiesbauer\n\n<desc> Description:\n")
    assert parse_topics(text, "topics.trec") == topics


def test_trec_topic_errors_name_file_and_line():
    from curate.formats.trec import parse_topics

    with pytest.raises(InputFormatError, match=r"t.trec:3: </desc> does not close the open field <title>"):
        parse_topics("<top>\n<num> Number: 1\n<title> A </desc>\n</top>\n", "t.trec")
    with pytest.raises(InputFormatError, match=r"t.trec: no <top> \.\.\. </top> topic found"):
        parse_topics("just text\n", "t.trec")


def test_qrels_round_trip_keeps_zero_grades():
    from curate.formats.trec import format_qrels, parse_qrels

    text = format_qrels([("141", "LA020294-0123", 1), ("141", "LA020294-0124", 0)])
    assert text == "141 0 LA020294-0123 1\n141 0 LA020294-0124 0\n"
    assert [(j.topic_id, j.doc_id, j.relevance, j.line) for j in parse_qrels(text, "q")] == [
        ("141", "LA020294-0123", 1, 1), ("141", "LA020294-0124", 0, 2)]
    with pytest.raises(InputFormatError, match=r"q:1: relevance 2 is not one of \[0, 1, 3\]"):
        parse_qrels("7 0 d 2\n", "q", allowed={0, 1, 3})


def test_exporters_are_found_on_the_builder_or_in_its_export_module():
    from curate.builders.clef_queries import ClefQueries
    from curate.formats.exporter import Exporter, exporters_of

    assert list(exporters_of(ClefQueries())) == ["trec", "jsonl", "qrels"]  # curate/builders/clef_queries/export.py

    class Declares:
        exporters = (Exporter("lines", "one line per row", lambda p: None, lambda d, a: "x\n"),)

    assert list(exporters_of(Declares())) == ["lines"]
    assert exporters_of(object()) == {}  # builtins has no export module: no formats, no error
