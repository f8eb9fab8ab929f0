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
