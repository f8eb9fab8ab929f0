"""CLEF topic, translation and qrels parsing: every layout and encoding, and bad input with file:line errors."""

import time
from collections import Counter
from pathlib import Path

import pytest

from curate.builders.clef_queries.encoding import decode_clef_bytes
from curate.builders.clef_queries.langcodes import clef_topic_id, iso3, normalize_language, qrels_topic_id
from curate.builders.clef_queries.qrels import qrels_language, read_qrels
from curate.builders.clef_queries.topics import parse_topic_text, read_topic_file
from curate.builders.clef_queries.translations import read_translation_file
from curate.errors import InputFormatError

SAMPLE = Path(__file__).resolve().parent.parent / "curate" / "builders" / "clef_queries" / "sample" / "CLEF"


def test_language_codes():
    assert normalize_language("SW", year=2000) == "sv" and normalize_language("SP", year=2000) == "es"
    assert normalize_language("E", year=2000) == "en" and normalize_language("FI", year=2000) == "fi"
    assert normalize_language("kg") == "ky" and iso3("ky") == "kir"
    assert [normalize_language(c) for c in ("fas", "rus", "zho", "eng")] == ["fa", "ru", "zh", "en"]
    assert normalize_language("EN") == "en" and normalize_language("RU") == "ru"
    assert clef_topic_id("141") == "C141" and clef_topic_id("C041") == "C041" and clef_topic_id(" 7 ") == "C007"
    assert qrels_topic_id("C041") == "41" and qrels_topic_id("101") == "101"


def test_clef2000_multiline_layout_latin1_and_comment_line():
    topics = read_topic_file(SAMPLE / "Topics/topics2000/TOP-SW.txt", 2000, "sv")
    assert [t.topic_id for t in topics] == ["C001", "C002"]
    assert topics[0].language == "sv"
    assert topics[0].title == "Solenergi i Skandinavien"
    assert topics[0].description == "Hitta dokument om användningen av solenergi i skandinaviska hushåll."
    assert "translator" not in topics[0].title + topics[0].description  # the ** line is dropped
    assert topics[1].title == "Färjeolyckor i Östersjön"
    assert topics[1].narrative == "Dokument om alla olyckor med passagerarfärjor är relevanta."


def test_closed_layout_one_line_and_multiline_fields():
    topics = read_topic_file(SAMPLE / "Topics/2001/Top-de01.txt", 2001, "de")
    assert [(t.topic_id, t.language) for t in topics] == [("C041", "de"), ("C042", "de")]
    assert topics[0].title == "Radwege in Städten"
    assert topics[1].narrative.endswith("relevant (Größe, Qualität).")


def test_russian_utf8_with_bom_decodes_without_mojibake():
    raw = (SAMPLE / "Topics/2003/Top-ru03.txt").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    topics = read_topic_file(SAMPLE / "Topics/2003/Top-ru03.txt", 2003, "ru")
    assert topics[0].title == "Загрязнение озера Байкал"
    assert topics[1].description == "Кто играл в матче за звание чемпиона мира по шахматам?"


def test_translation_blocks_with_continuation_lines():
    ky = read_translation_file(SAMPLE / "Translations/clef-en-2000-2003_KYRGYZ.txt", "ky")
    assert [t.topic_id for t in ky] == ["C001", "C002", "C041", "C091", "C141"]
    assert ky[0].description == "Скандинавиялык үй чарбаларында күн энергиясын колдонуу жөнүндө документтерди тапкыла."
    tr = read_translation_file(SAMPLE / "Translations/clef-en-2000-2003_TURKISH.txt", "tr")
    assert tr[2].description == "Fransa veya İtalya'daki bağ bozumu için hangi tahminler yapıldı?"


def test_qrels_ids_and_language_names():
    js = read_qrels(SAMPLE / "RelAssess/2003/qrels_en_2003", topic_id=clef_topic_id)
    assert [(j.topic_id, j.doc_id, j.relevance) for j in js][0] == ("C141", "LA020294-0123", 1)
    assert [qrels_language(n) for n in ("qrels_english", "qrels_EN", "qrels_en_2003", "qrels_russian")] == [
        "en", "en", "en", "ru"]


# ---- bad input --------------------------------------------------------------------------------------
def test_unclosed_tag_names_file_and_line(tmp_path):
    bad = tmp_path / "Top-en03.txt"
    bad.write_bytes(b"<top>\n<num> C141 </num>\n<EN-title> Lake Baikal\n<EN-desc> Find it. </EN-desc>\n</top>\n")
    with pytest.raises(InputFormatError, match=r"Top-en03.txt:3: <EN-title> is not closed before <EN-desc> at line 4"):
        read_topic_file(bad, 2003, "en")


def test_unclosed_top_names_file_and_line(tmp_path):
    bad = tmp_path / "Top-en03.txt"
    bad.write_bytes(b"<top>\n<num> C141 </num>\n<EN-title> A </EN-title>\n\n<top>\n<num> C142 </num>\n</top>\n")
    with pytest.raises(InputFormatError, match=r"Top-en03.txt:1: <top> is not closed before the next <top> at line 5"):
        read_topic_file(bad, 2003, "en")


def test_wrong_encoding_cp1251_russian_is_an_error_with_line(tmp_path):
    bad = tmp_path / "Top-ru03.txt"
    bad.write_bytes("<top>\n<num> C141 </num>\n<RU-title> Загрязнение </RU-title>\n</top>\n".encode("cp1251"))
    with pytest.raises(InputFormatError, match=r"Top-ru03.txt:3: byte 0x\w\w is not valid UTF-8; ru files"):
        read_topic_file(bad, 2003, "ru")


def test_double_encoded_utf8_is_an_error_with_line(tmp_path):
    bad = tmp_path / "Top-de01.txt"
    text = "<top>\n<num> C041 </num>\n<DE-title> Radwege in Städten </DE-title>\n</top>\n"
    bad.write_bytes(text.encode("utf-8").decode("latin-1").encode("utf-8"))
    with pytest.raises(InputFormatError, match=r"Top-de01.txt:3: text looks double-encoded"):
        read_topic_file(bad, 2001, "de")


def test_cp1252_quotes_in_latin1_file_are_decoded(tmp_path):
    text, enc = decode_clef_bytes(b"<EN-title> \x93Mad cow\x94 disease </EN-title>", tmp_path / "x", "en")
    assert enc == "cp1252" and "\u201cMad cow\u201d" in text


def test_qrels_line_with_three_columns(tmp_path):
    bad = tmp_path / "qrels_english"
    bad.write_text("141 0 LA020294-0123 1\n141 LA020294-0124 0\n")
    with pytest.raises(InputFormatError, match=r"qrels_english:2: expected 4 columns .* found 3"):
        read_qrels(bad, topic_id=clef_topic_id)


def test_translation_block_without_title(tmp_path):
    bad = tmp_path / "clef-en-2000-2003_TURKISH.txt"
    bad.write_text("query_id: C001\ntitle: A\ndescription: B\n\nquery_id: C002\ndescription: only\n", encoding="utf-8")
    with pytest.raises(InputFormatError, match=r"TURKISH.txt:6: block C002 has no 'title:' line"):
        read_translation_file(bad, "tr")


def test_unknown_tag_is_a_counted_skip():
    skipped = Counter()
    text = "<top>\n<num> C141 </num>\n<EN-title> A </EN-title>\n<EN-title-1> B </EN-title-1>\n</top>\n"
    topics = parse_topic_text(text, Path("x.txt"), 2003, skipped)
    assert topics[0].title == "A" and skipped == {"unknown tag <EN-title-1> in a CLEF topic": 1}


# ---- issue 11: UTF-16 without a BOM, empty and undecodable files, a linear parser ----------------------
GERMAN = (SAMPLE / "Topics/2001/Top-de01.txt").read_bytes().decode("iso-8859-1")


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_keeps_the_language(tmp_path, codec):
    path = tmp_path / "Top-de01.txt"
    path.write_bytes(GERMAN.encode(codec))  # a Windows export: UTF-16, no byte-order mark
    topics = read_topic_file(path, 2001, "de")
    assert [t.title for t in topics] == ["Radwege in Städten", "Prognosen für die Weinlese"]


def test_utf16_with_bom_is_decoded(tmp_path):
    path = tmp_path / "Top-de01.txt"
    path.write_bytes(GERMAN.encode("utf-16"))
    assert len(read_topic_file(path, 2001, "de")) == 2


@pytest.mark.parametrize("data", [b"\xff\xfe" + "<top>\n<num> C041".encode("utf-16-le") + b"<",
                                  "<top>\n<num> C041".encode("utf-16-le") + b"<"])
def test_odd_length_utf16_names_file_and_line(tmp_path, data):
    path = tmp_path / "Top-de01.txt"
    path.write_bytes(data)
    with pytest.raises(InputFormatError, match=r"Top-de01.txt:2: .*UTF-16.*odd number of bytes"):
        read_topic_file(path, 2001, "de")


def test_unpaired_surrogate_in_utf16_names_file_and_line(tmp_path):
    path = tmp_path / "Top-de01.txt"
    path.write_bytes(b"\xff\xfe" + "<top>\n<num>".encode("utf-16-le") + b"\x00\xd8" + "x".encode("utf-16-le"))
    with pytest.raises(InputFormatError, match=r"Top-de01.txt:2: .*not valid UTF-16"):
        read_topic_file(path, 2001, "de")


def test_nul_bytes_that_are_not_utf16_are_an_error(tmp_path):
    path = tmp_path / "Top-de01.txt"
    path.write_bytes(b"<top>\n\x00\x00\x00\x00binary junk\n")
    with pytest.raises(InputFormatError, match=r"Top-de01.txt:2: NUL byte"):
        read_topic_file(path, 2001, "de")


@pytest.mark.parametrize("content", [b"", b"\n \n", b"\xef\xbb\xbf", b"\xff\xfe"])
def test_empty_files_are_errors_not_a_missing_language(tmp_path, content):
    for name, read in [("Top-de01.txt", lambda p: read_topic_file(p, 2001, "de")),
                       ("qrels_german", lambda p: read_qrels(p, topic_id=clef_topic_id)),
                       ("clef-en-2000-2003_TURKISH.txt", lambda p: read_translation_file(p, "tr"))]:
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(InputFormatError, match=rf"{name}: file is empty"):
            read(path)


def test_topic_file_without_topics_is_an_error(tmp_path):
    path = tmp_path / "Top-de01.txt"
    path.write_bytes(b"CLEF 2001 German topics\n(exported without markup)\n")
    with pytest.raises(InputFormatError, match=r"Top-de01.txt: no <top> \.\.\. </top> topic"):
        read_topic_file(path, 2001, "de")


def test_utf16_qrels_are_read(tmp_path):
    path = tmp_path / "qrels_german"
    path.write_bytes("141 0 SDA.940101.0001 1\n".encode("utf-16"))  # UTF-16 qrels are read, not dropped
    assert [j.doc_id for j in read_qrels(path, topic_id=clef_topic_id)] == ["SDA.940101.0001"]


def _many_topics(n: int) -> str:
    return "".join(f"<top>\n<num> C{i % 200 + 1:03d} </num>\n<EN-title> Topic number {i} </EN-title>\n"
                   f"<EN-desc> Find documents about subject {i}. </EN-desc>\n<EN-narr> Relevant documents discuss "
                   f"subject {i}; " + "background material alone is not relevant. " * 8 + "</EN-narr>\n</top>\n\n"
                   for i in range(n))


def test_topic_parser_is_linear_in_the_file_size():
    text = _many_topics(2200)  # about 1.2 MiB: the quadratic parser took 8 s on it, a linear one ~0.1 s
    start = time.perf_counter()
    topics = parse_topic_text(text, Path("big.txt"), 2003)
    elapsed = time.perf_counter() - start
    assert len(topics) == 2200 and topics[-1].title == "Topic number 2199" and topics[-1].line == 2199 * 7 + 1
    assert elapsed < 3.0, f"{elapsed:.1f} s for {len(text) >> 10} KiB"
