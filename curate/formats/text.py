"""UTF-8 text files: a decoding error becomes an error naming the file, line and byte.

Python's text mode raises `UnicodeDecodeError` with an offset into an internal buffer, not a line, and
a traceback. Readers keep reading in text mode (same newline handling as before) inside
`named_utf8_errors(path)`, which on such an error finds the first bad line and raises InputFormatError.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from curate.errors import InputFormatError


def first_utf8_error(path: Path) -> InputFormatError:
    """The first line of `path` that is not valid UTF-8, as an error naming file, line, column and byte."""
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, start=1):  # a "\n" byte never occurs inside a UTF-8 sequence
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                return InputFormatError(path, lineno, f"byte 0x{raw[exc.start]:02x} at column {exc.start + 1} is "
                                        "not valid UTF-8 (re-save the file as UTF-8)")
    return InputFormatError(path, None, "not valid UTF-8 (the file changed while it was read)")


@contextmanager
def named_utf8_errors(path: str | Path) -> Iterator[None]:
    """Turn a UnicodeDecodeError raised while reading `path` into an InputFormatError naming the line."""
    try:
        yield
    except UnicodeDecodeError:
        raise first_utf8_error(Path(path)) from None
