"""Language-code and topic-id normalisation for CLEF and HC4.

Every language is stored as ISO 639-1 with ISO 639-3 alongside. The sources disagree: CLEF 2000 tags
use one- or two-letter campaign codes (`E`, `D`, `FI`, and `SW` = Swedish, `SP` = Spanish), later CLEF
years use ISO-like two-letter prefixes (`EN`, `DE`), HC4 uses ISO 639-3 (`fas`, `rus`, `zho`), and the
Litschko Kyrgyz files are labelled `kg` (which is ISO 639-1 for Kongo, not Kyrgyz).
"""

from __future__ import annotations

import re

# ISO 639-1 -> ISO 639-3 for every language the CLEF ad-hoc track, HC4 and the Turkic translations use,
# plus the usual NLLB/M2M targets. Persian and Chinese use the macrolanguage codes, as HC4 does.
ISO1_TO_ISO3: dict[str, str] = {
    "en": "eng", "de": "deu", "fr": "fra", "it": "ita", "es": "spa", "nl": "nld", "fi": "fin",
    "sv": "swe", "ru": "rus", "pt": "por", "zh": "zho", "ja": "jpn", "th": "tha", "fa": "fas",
    "bg": "bul", "hu": "hun", "cs": "ces", "pl": "pol", "da": "dan", "no": "nor", "el": "ell",
    "ky": "kir", "ug": "uig", "tr": "tur", "sw": "swa", "so": "som", "ar": "ara", "kk": "kaz",
    "uz": "uzb", "az": "aze", "tk": "tuk", "tt": "tat", "mt": "mlt", "hi": "hin", "ko": "kor",
}
ISO3_TO_ISO1: dict[str, str] = {v: k for k, v in ISO1_TO_ISO3.items()}
ISO3_TO_ISO1.update({"per": "fa", "pes": "fa", "chi": "zh", "cmn": "zh", "ger": "de", "fre": "fr",
                     "dut": "nl", "swa": "sw", "kir": "ky", "uig": "ug"})

# Campaign codes that are not ISO 639-1, or mean something else there. CLEF 2000 only.
CLEF2000_CODES: dict[str, str] = {"E": "en", "D": "de", "F": "fr", "I": "it", "FI": "fi", "SW": "sv",
                                   "SP": "es", "NL": "nl", "G": "de"}
# Non-ISO labels seen in any year or in the translation files.
ALIASES: dict[str, str] = {"kg": "ky", "sp": "es", "jp": "ja", "ge": "de", "gr": "el", "cn": "zh",
                           "kyrgyz": "ky", "uyghur": "ug", "uighur": "ug", "turkish": "tr",
                           "english": "en", "german": "de", "french": "fr", "italian": "it",
                           "spanish": "es", "dutch": "nl", "finnish": "fi", "swedish": "sv",
                           "russian": "ru", "portuguese": "pt", "chinese": "zh", "japanese": "ja",
                           "persian": "fa", "farsi": "fa", "swahili": "sw", "somali": "so"}


class UnknownLanguageCode(ValueError):
    pass


def normalize_language(code: str, *, year: int | None = None) -> str:
    """ISO 639-1 code for any label CLEF, HC4 or the translation files use; `year` picks CLEF 2000's codes."""
    raw = code.strip()
    if year == 2000 and raw.upper() in CLEF2000_CODES:
        return CLEF2000_CODES[raw.upper()]
    low = raw.lower()
    if low in ALIASES:
        return ALIASES[low]
    if low in ISO1_TO_ISO3:
        return low
    if low in ISO3_TO_ISO1:
        return ISO3_TO_ISO1[low]
    raise UnknownLanguageCode(f"unknown language code {code!r}")


def iso3(code: str) -> str:
    """ISO 639-3 of an ISO 639-1 code (as returned by normalize_language)."""
    try:
        return ISO1_TO_ISO3[code]
    except KeyError:
        raise UnknownLanguageCode(f"no ISO 639-3 code known for {code!r}") from None


_CLEF_ID = re.compile(r"^\s*C?0*(\d{1,4})\s*$", re.IGNORECASE)


def clef_topic_id(raw: str) -> str:
    """`C041`, `c41`, `41`, ` 041 ` -> `C041`: the form topic files and translation files use."""
    m = _CLEF_ID.match(raw)
    if not m:
        raise ValueError(f"not a CLEF topic id: {raw!r}")
    return f"C{int(m.group(1)):03d}"


def qrels_topic_id(topic_id: str) -> str:
    """The bare number a qrels file uses for a topic: `C141` -> `141`; HC4 ids pass through."""
    m = _CLEF_ID.match(topic_id)
    return str(int(m.group(1))) if m else topic_id


def clef_year_of(topic_id: str) -> int | None:
    """CLEF campaign of a topic number: 2000 C001-C040, 2001 C041-C090, 2002 C091-C140, 2003 C141-C200."""
    n = int(clef_topic_id(topic_id)[1:])
    for year, (lo, hi) in CLEF_TOPIC_RANGES.items():
        if lo <= n <= hi:
            return year
    return None


CLEF_TOPIC_RANGES: dict[int, tuple[int, int]] = {2000: (1, 40), 2001: (41, 90), 2002: (91, 140), 2003: (141, 200)}
