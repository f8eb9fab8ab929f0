"""Where the user's CLEF files live (`--manual-dir` or `CLEF_HOME`), and what to do when they are missing."""

from __future__ import annotations

import os
import re
from pathlib import Path

from curate.errors import ManualDownloadError

from .langcodes import UnknownLanguageCode, normalize_language
from .translations import TRANSLATION_FILES

TRANSLATIONS_PAGE = "https://madata.bib.uni-mannheim.de/401/"

INSTRUCTIONS = f"""\
CLEF 2000-2003 ad-hoc topics and relevance assessments are licensed by ELRA and cannot be downloaded
automatically. Obtain "CLEF Test Suite for the CLEF 2000-2003 Campaigns - Evaluation Package"
(ELRA catalogue ELRA-E0008, https://catalog.elra.info) or the topics/qrels from the CLEF DIRECT system,
then point --manual-dir (or the CLEF_HOME environment variable) at a folder laid out like this:

  Topics/topics2000/TOP-{{E,F,FI,D,I,SW,SP}}.txt     CLEF 2000 (SW = Swedish, SP = Spanish)
  Topics/2001/Top-{{lang}}01.txt                    e.g. Topics/2001/Top-en01.txt
  Topics/2002/Top-{{lang}}02.txt
  Topics/2003/Top-{{lang}}03.txt                    Top-ru03.txt is UTF-8 (a byte-order mark is fine)
  RelAssess/{{year}}/qrels_{{language}}               qrels_english, qrels_EN or qrels_en_2003
  Translations/clef-en-2000-2003_KYRGYZ.txt         Kyrgyz, Uyghur and Turkish translations of C001-C200
  Translations/clef-en-2000-2003_UYGHUR.txt         from {TRANSLATIONS_PAGE}
  Translations/clef-en-2000-2003_TURKISH.txt        (also found at the folder root or in $CLEF_LOWRES_DIR)

Build only what you have with --collections (e.g. --collections clef2003,hc4 or --collections hc4)
and --translations none to leave out the Kyrgyz/Uyghur/Turkish files.
"""


def clef_root(manual_dir: Path | None) -> Path | None:
    if manual_dir is not None:
        return Path(manual_dir)
    env = os.environ.get("CLEF_HOME")
    return Path(env) if env else None


def _missing(what: str) -> ManualDownloadError:
    return ManualDownloadError(f"{what}\n\n{INSTRUCTIONS}")


def _year_dir(root: Path, *names: str) -> Path | None:
    for name in names:
        if (root / name).is_dir():
            return root / name
    return None


def topic_files(root: Path | None, year: int) -> list[tuple[Path, str]]:
    """(path, ISO 639-1 language from the file name) for one CLEF year, sorted by file name."""
    if root is None:
        raise _missing(f"CLEF {year} topics are needed: no --manual-dir given and CLEF_HOME is not set.")
    folder = (_year_dir(root, "Topics/topics2000", "Topics/2000", "Topics/TOPICS2000") if year == 2000
              else _year_dir(root, f"Topics/{year}"))
    pattern = (re.compile(r"^TOP-([A-Za-z]{1,3})\.txt$", re.IGNORECASE) if year == 2000
               else re.compile(rf"^Top-([A-Za-z]{{2,3}}){str(year)[2:]}\.txt$", re.IGNORECASE))
    found = []
    for path in sorted(folder.iterdir()) if folder else []:
        m = pattern.match(path.name)
        if m:
            try:
                found.append((path, normalize_language(m.group(1), year=year)))
            except UnknownLanguageCode:
                found.append((path, ""))  # language then comes from the tags; no encoding restriction
    if not found:
        where = f"{root}/Topics/topics2000/TOP-*.txt" if year == 2000 else f"{root}/Topics/{year}/Top-*{str(year)[2:]}.txt"
        raise _missing(f"no CLEF {year} topic files found ({where}).")
    return found


def qrels_files(root: Path | None, year: int) -> list[Path]:
    if root is None:
        raise _missing(f"CLEF {year} relevance assessments are needed: no --manual-dir given and CLEF_HOME is not set.")
    folder = _year_dir(root, f"RelAssess/{year}")
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.name.lower().startswith("qrels")) if folder else []
    if not files:
        raise _missing(f"no CLEF {year} qrels found ({root}/RelAssess/{year}/qrels_*).")
    return files


def translation_file(root: Path | None, language: str) -> Path:
    name = TRANSLATION_FILES[language]
    candidates = [root / "Translations" / name, root / name] if root else []
    if os.environ.get("CLEF_LOWRES_DIR"):
        candidates.append(Path(os.environ["CLEF_LOWRES_DIR"]) / name)
    for path in candidates:
        if path.is_file():
            return path
    raise _missing(f"the {language} CLEF query translations ({name}) are missing; looked in "
                   f"{', '.join(map(str, candidates)) or '(no --manual-dir / CLEF_HOME)'}.")
