"""Read the reference Maltese→Arabic mapping tables (MLRS/malti@2024.eacl) as plain data.

`.map` files are pynini `string_file` tables: `input<TAB>output` per line (one column = identity),
`\\[ \\] \\\\ \\#` are escapes, `<BOS>`/`<EOS>` are word-boundary markers. Lines starting with an
unescaped `#` (the headers, `#otherchars`, `#nums`) are comments here; pynini reads them as identity
entries for the literal header text, which only matters for a token spelled like a header.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from curate.errors import InputFormatError
from curate.maltese.resources import MALTESE_DIR

# Word boundaries become single private-use characters so a marked token is an ordinary string.
BOS = "\ue000"
EOS = "\ue001"
DIACRITICS = "\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652"  # the reference's `diacs` (incl. sukun)

DET_DIR = MALTESE_DIR / "character_deterministic_mappings"
NONDET_DIR = MALTESE_DIR / "character_non-deterministic_mappings"
TOKEN_DIR = MALTESE_DIR / "token_mappings"
CLOSED_CLASS_MAPS = (TOKEN_DIR / "small_closed_class.map", TOKEN_DIR / "additional_closed_class.map")

Table = dict[str, tuple[str, ...]]  # input string → its outputs, in file order, without duplicates


def unescape(field: str, path: Path, lineno: int) -> str:
    """Undo pynini escapes and turn the `<BOS>`/`<EOS>` markers into the private-use characters."""
    field = field.replace("<BOS>", BOS).replace("<EOS>", EOS)
    out, i = [], 0
    while i < len(field):
        c = field[i]
        if c == "\\":
            if i + 1 == len(field):
                raise InputFormatError(path, lineno, "dangling backslash escape")
            out.append(field[i + 1])
            i += 2
            continue
        if c in "[]":
            raise InputFormatError(path, lineno, f"unescaped {c!r} (pynini bracket syntax is not supported)")
        out.append(c)
        i += 1
    return "".join(out)


def read_map(path: str | Path) -> Table:
    path = Path(path)
    table: Table = {}
    with path.open(encoding="utf-8") as f:
        for lineno, raw in enumerate(f, start=1):
            line = raw.rstrip("\r\n")
            if not line or line.startswith("#"):
                continue
            cols = line.split("\t")
            if len(cols) > 2:
                raise InputFormatError(path, lineno, f"expected 1 or 2 tab-separated columns, got {len(cols)}")
            src = unescape(cols[0], path, lineno)
            dst = unescape(cols[1], path, lineno) if len(cols) == 2 else src
            if not src:
                raise InputFormatError(path, lineno, "empty input string")
            outs = table.setdefault(src, ())
            if dst not in outs:
                table[src] = outs + (dst,)
    return table


def read_token_map(path: str | Path) -> dict[str, str]:
    """Closed-class lexicon `token<TAB>arabic`; as in the reference, a later duplicate key wins."""
    path = Path(path)
    lexicon: dict[str, str] = {}
    with path.open(encoding="utf-8") as f:
        for lineno, raw in enumerate(f, start=1):
            line = raw.strip()
            if not line:
                continue
            cols = line.split("\t")
            if len(cols) != 2:
                raise InputFormatError(path, lineno, f"expected 2 tab-separated columns, got {len(cols)}")
            lexicon[cols[0]] = cols[1]
    return lexicon


def merge(*tables: Table) -> Table:
    out: Table = {}
    for table in tables:
        for src, dsts in table.items():
            out[src] = out.get(src, ()) + tuple(d for d in dsts if d not in out.get(src, ()))
    return out


@dataclass(frozen=True)
class Tables:
    """One system: context-free rewrites applied first (obligatory, leftmost), then the character maps."""

    rewrites: Table  # 2-char, shadda (+ final vowels, word-initial alif in the non-deterministic system)
    chars: Table  # 1-char map ∪ special ∪ arabic2arabic ∪ everything_else
    dediac: frozenset[str]  # characters deleted at the end (dediac.map)

    def check(self) -> None:
        """The fast paths assume rewrite outputs pass the character stage unchanged (identity letters or
        deleted diacritics); fail loudly if edited tables break that."""
        for src, dsts in self.rewrites.items():
            for dst in dsts:
                for c in dst:
                    if c not in self.dediac and self.chars.get(c) != (c,):
                        raise ValueError(f"rewrite {src!r}→{dst!r}: {c!r} is not an identity character")
        starts = {k: [o for o in self.rewrites if o != k and o.startswith(k)] for k in self.rewrites}
        if any(starts.values()):
            raise ValueError(f"rewrite inputs that prefix others are not supported: {starts}")


@cache
def load_tables(deterministic: bool) -> Tables:
    dediac = frozenset(read_map(NONDET_DIR / "dediac.map"))
    shared = (read_map(NONDET_DIR / "arabic2arabic.map"), read_map(NONDET_DIR / "everything_else.map"))
    if deterministic:
        rewrites = merge(read_map(DET_DIR / "malti2arabi_2char.map"), read_map(DET_DIR / "shadda.map"))
        chars = merge(read_map(DET_DIR / "malti2arabi_1char_vowels_short.map"),
                      read_map(DET_DIR / "special_deterministic.map"), *shared)
    else:
        rewrites = merge(*(read_map(NONDET_DIR / f"{n}.map")
                           for n in ("malti2arabi_2char", "shadda", "final_vowels", "alif_initial")))
        chars = merge(read_map(NONDET_DIR / "malti2arabi_1char.map"), read_map(NONDET_DIR / "special.map"), *shared)
    tables = Tables(rewrites, chars, dediac)
    tables.check()
    return tables


@cache
def load_closed_class() -> tuple[dict[str, str], ...]:
    return tuple(read_token_map(p) for p in CLOSED_CLASS_MAPS)
