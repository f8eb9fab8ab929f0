"""A strict CoNLL-U reader: every malformed line (bad bytes included) is an error naming the file and line."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from curate.errors import InputFormatError
from curate.formats.text import named_utf8_errors

COLUMNS = ("id", "form", "lemma", "upos", "xpos", "feats", "head", "deprel", "deps", "misc")


@dataclass
class ConlluSentence:
    sent_id: str
    text: str
    line: int  # first line of the sentence in its file
    rows: list[dict[str, str]] = field(default_factory=list)  # word lines only (no ranges or empty nodes)
    comments: list[str] = field(default_factory=list)

    @property
    def tokens(self) -> list[str]:
        return [r["form"] for r in self.rows]


def read_conllu(path: str | Path) -> Iterator[ConlluSentence]:
    path = Path(path)
    sent: ConlluSentence | None = None
    with named_utf8_errors(path), path.open(encoding="utf-8") as f:
        for lineno, raw in enumerate(f, start=1):
            line = raw.rstrip("\n")
            if not line.strip():
                if sent is not None:
                    yield _checked(sent, path)
                    sent = None
                continue
            if sent is None:
                sent = ConlluSentence(sent_id="", text="", line=lineno)
            if line.startswith("#"):
                sent.comments.append(line)
                key, _, value = line[1:].partition("=")
                if key.strip() == "sent_id":
                    sent.sent_id = value.strip()
                elif key.strip() == "text":
                    sent.text = value.strip()
                continue
            cols = line.split("\t")
            if len(cols) != 10:
                raise InputFormatError(path, lineno, f"expected 10 tab-separated CoNLL-U columns, got {len(cols)}")
            if "-" in cols[0] or "." in cols[0]:
                continue  # multiword ranges and empty nodes carry no word of their own
            if not cols[0].isdigit() or not (cols[6].isdigit() or cols[6] == "_"):
                raise InputFormatError(path, lineno, f"bad ID or HEAD column: {cols[0]!r} / {cols[6]!r}")
            if int(cols[0]) != len(sent.rows) + 1:
                raise InputFormatError(path, lineno, f"word id {cols[0]} out of sequence")
            sent.rows.append(dict(zip(COLUMNS, cols)))
    if sent is not None:
        yield _checked(sent, path)


def _checked(sent: ConlluSentence, path: Path) -> ConlluSentence:
    if not sent.rows:
        raise InputFormatError(path, sent.line, "sentence without word lines")
    if not sent.sent_id:
        raise InputFormatError(path, sent.line, "sentence without '# sent_id'")
    return sent
