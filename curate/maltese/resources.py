"""Paths to the embedded Maltese data and a strict reader for the etymology annotations."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from curate.errors import InputFormatError
from curate.formats.text import named_utf8_errors

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
MALTESE_DIR = DATA_DIR / "maltese"
MUDT_DIR = DATA_DIR / "ud_maltese"
ANNOTATIONS_TSV = MALTESE_DIR / "etymology_data" / "annotations.tsv"
TRANSLATIONS_DIR = MALTESE_DIR / "translations"
# the paper behind the Maltese builders, cited by each of their cards
MICALLEF_2024_BIBTEX = """@inproceedings{micallef-etal-2024-cross,
  title = {Cross-Lingual Transfer from Related Languages: Treating Low-Resource {M}altese as Multilingual Code-Switching},
  author = {Micallef, Kurt and Habash, Nizar and Borg, Claudia and Eryani, Fadhl and Bouamor, Houda},
  booktitle = {Proceedings of EACL 2024},
  year = {2024},
  url = {https://aclanthology.org/2024.eacl-long.61}
}
"""
MUDT_SPLITS = {"train": "mt_mudt-ud-train.conllu", "validation": "mt_mudt-ud-dev.conllu", "test": "mt_mudt-ud-test.conllu"}

FINE_LABELS = ("Arabic", "Non-Arabic", "Mixed", "Symbol", "Name (Arabic)", "Name (Non-Arabic)", "Code-Switching")
MERGED_LABELS = ("Arabic", "Non-Arabic", "Symbol", "Name", "Code-Switching")


@dataclass(frozen=True)
class AnnotatedSentence:
    index: int  # the `id` column: position among the first 439 MUDT train sentences
    tokens: tuple[str, ...]
    fine: tuple[str, ...]
    merged: tuple[str, ...]


def read_annotations(path: str | Path = ANNOTATIONS_TSV) -> list[AnnotatedSentence]:
    """Read `id, token, category, category_merged` rows; quoting is disabled because some tokens are a bare `"`."""
    path = Path(path)
    by_id: dict[int, list[tuple[str, str, str]]] = {}
    with named_utf8_errors(path), path.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader, None)
        if header != ["id", "token", "category", "category_merged"]:
            raise InputFormatError(path, 1, f"unexpected header {header!r}")
        for row in reader:
            lineno = reader.line_num
            if len(row) != 4:
                raise InputFormatError(path, lineno, f"expected 4 tab-separated columns, got {len(row)}")
            sid, token, fine, merged = row
            if not sid.isdigit():
                raise InputFormatError(path, lineno, f"sentence id {sid!r} is not an integer")
            if fine not in FINE_LABELS:
                raise InputFormatError(path, lineno, f"unknown fine label {fine!r}; valid: {', '.join(FINE_LABELS)}")
            if merged not in MERGED_LABELS:
                raise InputFormatError(path, lineno, f"unknown merged label {merged!r}; valid: {', '.join(MERGED_LABELS)}")
            by_id.setdefault(int(sid), []).append((token, fine, merged))
    return [
        AnnotatedSentence(i, tuple(t for t, _, _ in rows), tuple(f for _, f, _ in rows), tuple(m for _, _, m in rows))
        for i, rows in sorted(by_id.items())
    ]
