"""Train / validation / test assignment of EUR-Lex-Sum acts.

Published rule (achouhan93/eur-lex-sum `Analysis/investigate_offline_data.py`): the acts valid in all
24 languages form validation and test; they are shuffled with `np.random.default_rng(12121994)`, the
first half (`len // 2`) is validation, the rest test; every other act is train. The original shuffled
`list(set(...))`, whose order depends on Python's string hashing, so the seed alone cannot reproduce
the published lists: `--split-ids` uses the shipped official ids instead (`data/english_splits.tsv`).
"""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

import numpy as np

from curate.errors import InputFormatError

SEED = 12121994
SPLITS = ("train", "validation", "test")
OFFICIAL_IDS = Path(__file__).resolve().parent / "data" / "english_splits.tsv"


def shuffled_heldout(candidates: list[str], seed: int = SEED) -> dict[str, str]:
    """celex id → "validation" | "test" for the acts available in all 24 languages.

    Candidates are sorted first so the result depends only on the set of ids and the seed.
    """
    keys = sorted(set(candidates))
    rng = np.random.default_rng(seed=seed)
    rng.shuffle(keys)
    half = len(keys) // 2
    return {celex: ("validation" if i < half else "test") for i, celex in enumerate(keys)}


@lru_cache(maxsize=2)
def official_heldout(path: Path = OFFICIAL_IDS) -> dict[str, str]:
    """celex id → "validation" | "test" from the published lists (train ids are everything else)."""
    out: dict[str, str] = {}
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader, None)
        if not header or header[:2] != ["celex_id", "split"]:
            raise InputFormatError(path, 1, f"expected header 'celex_id<TAB>split...', got {header!r}")
        for line, row in enumerate(reader, start=2):
            if len(row) < 2 or row[1] not in SPLITS:
                raise InputFormatError(path, line, f"bad row {row!r}: need a CELEX id and one of {SPLITS}")
            if row[1] != "train":
                out[row[0]] = row[1]
    return out


def split_of(celex: str, heldout: dict[str, str]) -> str:
    return heldout.get(celex, "train")
