"""`curate build clef-queries` flags: their declarations and the checked values they yield from ctx.options."""

from __future__ import annotations

import os
from pathlib import Path

from curate.builder import REPO_ROOT, BuildContext

from .langcodes import normalize_language
from .translations import TRANSLATION_FILES

ALL_COLLECTIONS = ("clef2000", "clef2001", "clef2002", "clef2003", "hc4")
SHARED_HC4 = REPO_ROOT.parent / "shared" / "data" / "hc4"  # local test copy; never shipped

HC4_ABSENT = "hc4 unit: sample mode reads HC4 from {}, which is absent (HC4 is never shipped)"


def sample_hc4_dir() -> Path:
    return Path(os.environ.get("CURATE_HC4_DIR", SHARED_HC4))


def csv(value) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, (list, tuple)) else str(value).split(",")
    return tuple(i.strip() for i in items if str(i).strip())


def build_options() -> list[tuple[str, dict]]:
    """A fresh list on every call, as `Builder.extra_build_options()` returns."""
    return [
        ("--collections", {"default": None, "help": f"comma list of {','.join(ALL_COLLECTIONS)} (default all)"}),
        ("--translations", {"default": "ky,ug,tr", "help": "CLEF query translations to add: ky,ug,tr or none"}),
        ("--hc4-dir", {"default": None, "help": "read HC4 files from this folder instead of downloading"}),
        ("--translate-to", {"default": None, "help": "machine-translate topics into these languages, e.g. ky,ug,tr"}),
        ("--mt-model", {"default": None, "help": "seq2seq model folder or hub id (NLLB, M2M100, Marian)"}),
        ("--source-language", {"default": "en", "help": "language the MT step translates from (default en)"}),
        ("--mt-batch-size", {"type": int, "default": 32, "help": "rows per MT batch (default 32)"}),
        ("--mt-device", {"default": "auto", "help": "auto, cpu or cuda[:N] for the MT step"}),
    ]


def collections(ctx: BuildContext) -> tuple[str, ...]:
    chosen = csv(ctx.options.get("collections")) or ALL_COLLECTIONS
    bad = [c for c in chosen if c not in ALL_COLLECTIONS]
    if bad:
        from curate.errors import UnknownNameError

        raise UnknownNameError("collection", bad[0], list(ALL_COLLECTIONS))
    return tuple(c for c in ALL_COLLECTIONS if c in chosen)


def translations(ctx: BuildContext) -> tuple[str, ...]:
    raw = csv(ctx.options.get("translations", "ky,ug,tr"))
    if raw in ((), ("none",)):
        return ()
    langs = tuple(normalize_language(x) for x in raw)  # kg -> ky
    bad = [x for x in langs if x not in TRANSLATION_FILES]
    if bad:
        from curate.errors import UnknownNameError

        raise UnknownNameError("CLEF translation language", bad[0], list(TRANSLATION_FILES))
    return langs


def mt_targets(ctx: BuildContext) -> tuple[str, ...]:
    targets = tuple(dict.fromkeys(normalize_language(x) for x in csv(ctx.options.get("translate_to"))))
    if targets and not ctx.options.get("mt_model"):
        from curate.errors import CurateError

        raise CurateError("--translate-to needs --mt-model PATH_OR_ID (a seq2seq model: NLLB, M2M100, Marian)")
    return targets
