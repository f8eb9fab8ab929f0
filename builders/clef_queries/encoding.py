"""Decode CLEF files without mojibake: UTF-8 (with or without a byte-order mark) or ISO-8859-1.

CLEF ships Western-European files in ISO-8859-1 and Russian in UTF-8 with a BOM. ISO-8859-1 decodes
any byte string, so a wrong guess never fails by itself; the checks below turn the usual wrong-encoding
cases into an error naming the file and line instead of silently writing mojibake into the dataset.
"""

from __future__ import annotations

import re
from pathlib import Path

from curate.errors import InputFormatError

# Languages whose CLEF files are never ISO-8859-1 (Cyrillic and CJK scripts cannot be written in it).
NON_LATIN1_LANGUAGES = {"ru", "bg", "zh", "ja", "fa", "ky", "ug", "th", "el"}
# UTF-8 text that was decoded as Latin-1/CP1252 and re-encoded: "Ã¤" for "ä", "Ð¿" for "п".
_MOJIBAKE = re.compile("[ÃÂ][\u0080-\u00bf\u2018-\u203a\u0152-\u0178]|[ÐÑ][\u0080-\u00bf\u2018-\u203a]")
_C1_CONTROLS = re.compile("[\u0080-\u009f]")


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _check_mojibake(text: str, path: Path) -> None:
    m = _MOJIBAKE.search(text)
    if m:
        line = text.count("\n", 0, m.start()) + 1
        raise InputFormatError(path, line, f"text looks double-encoded (mojibake {m.group()!r}); "
                               "re-export the file in its original encoding")


def decode_clef_bytes(data: bytes, path: Path, language: str | None = None) -> tuple[str, str]:
    """Return (text, encoding used). `language` (ISO 639-1) forbids Latin-1 for non-Latin scripts."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            text, encoding = data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise InputFormatError(path, _line_of(data, exc.start + 3),
                                   f"starts with a UTF-8 byte-order mark but byte 0x{data[exc.start + 3]:02x} "
                                   "is not valid UTF-8") from None
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text, encoding = data.decode("utf-16"), "utf-16"
    else:
        try:
            text, encoding = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError as exc:
            if language in NON_LATIN1_LANGUAGES:
                raise InputFormatError(path, _line_of(data, exc.start),
                                       f"byte 0x{data[exc.start]:02x} is not valid UTF-8; {language} files must be "
                                       "UTF-8 (a Cyrillic code page such as CP1251 or KOI8-R is not supported)"
                                       ) from None
            text, encoding = data.decode("iso-8859-1"), "iso-8859-1"
            if _C1_CONTROLS.search(text):
                # C1 controls never occur in real Latin-1 text: the file is Windows-1252 (curly quotes...).
                try:
                    text, encoding = data.decode("cp1252"), "cp1252"
                except UnicodeDecodeError as exc2:
                    raise InputFormatError(path, _line_of(data, exc2.start),
                                           f"byte 0x{data[exc2.start]:02x} is neither UTF-8, ISO-8859-1 text "
                                           "nor Windows-1252") from None
    _check_mojibake(text, path)
    return text.replace("\r\n", "\n").replace("\r", "\n"), encoding


def read_clef_text(path: Path, language: str | None = None) -> tuple[str, str]:
    return decode_clef_bytes(Path(path).read_bytes(), Path(path), language)
