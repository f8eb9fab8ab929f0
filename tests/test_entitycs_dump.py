"""Streaming the pages-articles dump: plain and bz2 files, multistream ranges, truncated files."""

import bz2
import shutil
from pathlib import Path

import pytest

from curate.builders.entity_cs.dump import iter_pages, multistream_ranges, read_multistream_index
from curate.builders.entity_cs.multistream import split_dump, write_multistream
from curate.errors import InputFormatError

SAMPLE = Path(__file__).resolve().parent.parent / "curate/builders/entity_cs/sample"
DUMP = SAMPLE / "enwiki-pages-articles-sample.xml.bz2"


def make_multistream(tmp_path: Path, copies: int = 1) -> tuple[Path, Path]:
    header, pages, footer = split_dump(bz2.decompress(DUMP.read_bytes()))
    out = tmp_path / "enwiki-test-pages-articles-multistream.xml.bz2"
    index = tmp_path / "enwiki-test-pages-articles-multistream-index.txt.bz2"
    write_multistream(header, pages * copies, footer, out, index, pages_per_stream=1)
    return out, index


def test_whole_file_pages_in_order():
    pages = list(iter_pages(DUMP))
    assert [(p.page_id, p.title, p.redirect) for p in pages] == [
        (10, "AccessibleComputing", "Computer accessibility"), (411964, "Computer accessibility", None),
        (302109, "Accessibility", None)]
    assert pages[1].revision_id == 627945420 and "'''computer accessibility'''" in pages[1].text


def test_multistream_ranges_read_only_their_pages(tmp_path):
    out, index = make_multistream(tmp_path, copies=2)
    offsets = read_multistream_index(index)
    assert len(offsets) == 6
    ranges = multistream_ranges(offsets, 2)
    assert [r.end for r in ranges[:-1]] == [offsets[2], offsets[4]] and ranges[-1].end is None
    got = [[p.page_id for p in iter_pages(out, r)] for r in ranges]
    assert got == [[10, 411964], [302109, 10], [411964, 302109]]
    assert [p.page_id for p in iter_pages(out)] == [10, 411964, 302109] * 2  # the whole file parses too


def test_truncated_bz2_names_the_file_and_earlier_ranges_survive(tmp_path):
    out, index = make_multistream(tmp_path)
    ranges = multistream_ranges(read_multistream_index(index), 1)
    size = out.stat().st_size
    with open(out, "r+b") as fh:  # cut the file inside the last page stream
        fh.truncate(ranges[-1].start + (size - ranges[-1].start) // 3)
    assert [p.page_id for p in iter_pages(out, ranges[0])] == [10]
    assert [p.page_id for p in iter_pages(out, ranges[1])] == [411964]
    with pytest.raises(InputFormatError, match=f"{out.name}.*truncated or corrupt bz2"):
        list(iter_pages(out, ranges[2]))


def test_truncated_single_stream_file(tmp_path):
    cut = tmp_path / "enwiki-cut.xml.bz2"
    shutil.copy(DUMP, cut)
    with open(cut, "r+b") as fh:
        fh.truncate(cut.stat().st_size // 2)
    with pytest.raises(InputFormatError, match="enwiki-cut.xml.bz2: truncated or corrupt bz2 data"):
        list(iter_pages(cut))


def test_xml_entities_are_not_expanded(tmp_path):
    evil = tmp_path / "evil.xml"
    evil.write_text('<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                    "<mediawiki><page><title>T</title><ns>0</ns><id>1</id><revision><id>2</id>"
                    "<text>a &x; b</text></revision></page></mediawiki>")
    (page,) = list(iter_pages(evil))
    assert "root:" not in page.text


def test_text_after_an_unresolved_entity_is_kept(tmp_path):
    page_xml = tmp_path / "entities.xml"
    page_xml.write_text('<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">'
                        '<!ENTITY y "why">]><mediawiki><page><title>A &y; title</title><ns>0</ns><id>1</id>'
                        "<revision><id>2</id><text>a &x; b [[Link]] &y; end</text></revision></page></mediawiki>")
    (page,) = list(iter_pages(page_xml))
    # entities stay unexpanded (no file read, no network) and nothing after them is lost
    assert page.text == "a &x; b [[Link]] &y; end" and page.title == "A &y; title"


def test_non_numeric_page_id_names_the_file_and_line(tmp_path):
    bad = tmp_path / "bad-id.xml"
    bad.write_text("<mediawiki>\n<page><title>T</title><ns>0</ns><id>1</id><revision><id>2</id><text>a</text>"
                   "</revision></page>\n<page><title>U</title><ns>0</ns><id>x7</id><revision><id>3</id>"
                   "<text>b</text></revision></page></mediawiki>")
    with pytest.raises(InputFormatError, match=r"bad-id.xml:3: page 'U': id 'x7' is not an integer"):
        list(iter_pages(bad))
