"""Decode CLEF files without mojibake: UTF-8 (with or without a byte-order mark) or ISO-8859-1.

CLEF ships Western-European files in ISO-8859-1 and Russian in UTF-8 with a BOM. ISO-8859-1 decodes
any byte string, so a wrong guess never fails by itself; the checks below turn the usual wrong-encoding
cases into an error naming the file and line instead of silently writing mojibake into the dataset.
UTF-16 (a Windows "Unicode" export) is read with or without a byte-order mark: without one, it is
recognised by its NUL bytes, which sit at odd offsets (little-endian) or even ones (big-endian) for the
ASCII markup every CLEF file is made of. An empty file is an error: read as "no topics", it would
silently remove a language from the dataset.
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


def sniff_utf16(data: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' for BOM-less UTF-16 text, None when the NUL bytes say otherwise."""
    sample = data[:65536]
    if b"\x00" not in sample:
        return None
    half = max(1, len(sample) // 2)
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd >= 0.3 * half and even <= 0.05 * half:
        return "utf-16-le"
    if even >= 0.3 * half and odd <= 0.05 * half:
        return "utf-16-be"
    return None


def decode_utf16(data: bytes, path: Path, codec: str, skip: int = 0) -> str:
    """Decode UTF-16 (`skip` = BOM length); odd lengths and unpaired surrogates name file and line."""
    body = data[skip:]

    def line_at(offset: int) -> int:
        return body[:offset - offset % 2].decode(codec, errors="replace").count("\n") + 1

    if len(body) % 2:
        raise InputFormatError(path, line_at(len(body)), f"{codec.upper()} text has an odd number of bytes "
                               "(the file is cut off or not UTF-16)")
    try:
        return body.decode(codec)
    except UnicodeDecodeError as exc:
        raise InputFormatError(path, line_at(exc.start), f"bytes {body[exc.start:exc.end].hex()} are not valid "
                               f"{codec.upper()} ({exc.reason})") from None


def decode_clef_bytes(data: bytes, path: Path, language: str | None = None) -> tuple[str, str]:
    """Return (text, encoding used). `language` (ISO 639-1) forbids Latin-1 for non-Latin scripts."""
    text, encoding = _decode(data, path, language)
    if not text.strip():
        raise InputFormatError(path, None, "file is empty")
    _check_mojibake(text, path)
    return text.replace("\r\n", "\n").replace("\r", "\n"), encoding


def _decode(data: bytes, path: Path, language: str | None) -> tuple[str, str]:
    utf16 = sniff_utf16(data)
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            text, encoding = data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise InputFormatError(path, _line_of(data, exc.start + 3),
                                   f"starts with a UTF-8 byte-order mark but byte 0x{data[exc.start + 3]:02x} "
                                   "is not valid UTF-8") from None
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        codec = "utf-16-le" if data.startswith(b"\xff\xfe") else "utf-16-be"
        text, encoding = decode_utf16(data, path, codec, skip=2), "utf-16"
    elif utf16 is not None:
        text, encoding = decode_utf16(data, path, utf16), utf16
    elif b"\x00" in data:
        offset = data.index(b"\x00")
        raise InputFormatError(path, _line_of(data, offset), f"NUL byte at offset {offset}: a binary file, "
                               "or text in an encoding other than UTF-8, ISO-8859-1 or UTF-16")
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
    return text, encoding


def read_clef_text(path: Path, language: str | None = None) -> tuple[str, str]:
    return decode_clef_bytes(Path(path).read_bytes(), Path(path), language)
