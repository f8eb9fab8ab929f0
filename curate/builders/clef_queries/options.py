"""`curate build clef-queries` flags, declared once: curate.options makes the flags, checks and fingerprint."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from curate.builder import REPO_ROOT
from curate.errors import OptionError
from curate.options import BuilderOptions, option

from .langcodes import normalize_language
from .translations import TRANSLATION_FILES

ALL_COLLECTIONS = ("clef2000", "clef2001", "clef2002", "clef2003", "hc4")
SHARED_HC4 = REPO_ROOT.parent / "shared" / "data" / "hc4"  # local test copy; never shipped

HC4_ABSENT = "hc4 unit: sample mode reads HC4 from {}, which is absent (HC4 is never shipped)"


def sample_hc4_dir() -> Path:
    return Path(os.environ.get("CURATE_HC4_DIR", SHARED_HC4))


@dataclass(frozen=True)
class ClefOptions(BuilderOptions):
    collections: tuple[str, ...] = option(ALL_COLLECTIONS, csv=True, choices=ALL_COLLECTIONS,
                                          help="collections to build")
    translations: tuple[str, ...] = option(("ky", "ug", "tr"), csv=True, choices=tuple(TRANSLATION_FILES),
                                           normalize=normalize_language, help="CLEF query translations to add")
    hc4_dir: Path | None = option(None, exists="dir", metavar="DIR",
                                  help="read HC4 files from this folder instead of downloading")
    translate_to: tuple[str, ...] = option((), csv=True, normalize=normalize_language,
                                           help="machine-translate topics into these languages, e.g. ky,ug,tr")
    mt_model: str | None = option(None, metavar="PATH_OR_ID",
                                  help="seq2seq model folder or hub id (NLLB, M2M100, Marian)")
    source_language: str = option("en", normalize=normalize_language,
                                  help="language the MT step translates from")
    mt_batch_size: int = option(32, minimum=1, help="rows per MT batch")
    mt_device: str = option("auto", help="auto, cpu or cuda[:N] for the MT step")

    def check(self) -> None:
        if self.translate_to and not self.mt_model:
            raise OptionError("--translate-to needs --mt-model PATH_OR_ID (a seq2seq model: NLLB, M2M100, Marian)")
        if not re.fullmatch(r"auto|cpu|cuda(:\d+)?", self.mt_device):
            raise OptionError(f"--mt-device: expected auto, cpu or cuda[:N], got {self.mt_device!r}")
        # canonical order, so `--collections hc4,clef2000` lists the same work units as the default
        object.__setattr__(self, "collections", tuple(c for c in ALL_COLLECTIONS if c in self.collections))
