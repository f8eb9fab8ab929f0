"""Deterministic mode: obligatory 2-char and shadda rewrites, then the 1-char map with short vowels
(vowels become diacritics), then every diacritic is deleted. One output per token.

The reference composes pynini FSTs; with the shipped deterministic tables that composition is a
regex rewrite (leftmost, non-overlapping: the cdrewrite left-to-right obligatory semantics) followed by
a per-character `str.translate`, which is what this does.
"""

from __future__ import annotations

import re

from curate.maltese.transliteration.tables import BOS, EOS, Tables, load_tables


def drop_diacritics(text: str, diacritics: frozenset[str]) -> str:
    return "".join(c for c in text if c not in diacritics)


def rewrite_pattern(tables: Tables) -> re.Pattern[str]:
    """The rewrite inputs as one alternation grouped by first character (`għ|ie|bb` → `b(?:b)|g(?:ħ)|
    i(?:e)`), which `re` scans about twice as fast. No input is a prefix of another (`Tables.check`),
    so at most one can match at a position and the grouping keeps leftmost-match semantics."""
    rests: dict[str, list[str]] = {}
    for key in sorted(tables.rewrites):
        rests.setdefault(key[0], []).append(re.escape(key[1:]))
    return re.compile("|".join(f"{re.escape(c)}(?:{'|'.join(r)})" for c, r in rests.items()))


def unmapped_pattern(tables: Tables) -> re.Pattern[str]:
    known = sorted(k for k in tables.chars if len(k) == 1 and k not in (BOS, EOS))  # markers in a token: unmapped
    return re.compile("[^" + "".join(re.escape(c) for c in known) + "]")


class DeterministicMapper:
    def __init__(self, tables: Tables | None = None) -> None:
        tables = tables or load_tables(deterministic=True)
        if any(len(v) != 1 for v in (*tables.rewrites.values(), *tables.chars.values())):
            raise ValueError("deterministic tables must give exactly one output per input")
        if any(len(k) != 1 for k in tables.chars):
            raise ValueError("deterministic character table must only have single-character inputs")
        self.tables = tables
        self._rewrite_re = rewrite_pattern(tables)
        self._rewrite_out = {k: drop_diacritics(v[0], tables.dediac) for k, v in tables.rewrites.items()}
        table = {ord(k): drop_diacritics(v[0], tables.dediac) for k, v in tables.chars.items()}
        table.update({ord(c): "" for c in tables.dediac})  # dediac applies to input diacritics too
        self._translate = table
        self.unmapped_re = unmapped_pattern(tables)
        rewrite_out = self._rewrite_out
        self._repl = lambda m: rewrite_out[m[0]]
        if "\n" in tables.chars or any("\n" in k for k in tables.rewrites):
            raise ValueError("the tables map a newline; the batched path relies on them not doing so")

    def unmapped(self, token: str) -> list[str]:
        """Characters of a preprocessed token that no table covers."""
        return self.unmapped_re.findall(token)

    def map(self, token: str) -> str:
        """Map a preprocessed token; unmapped characters pass through unchanged."""
        return self.map_many([token])[0]

    def map_many(self, tokens: list[str]) -> list[str]:
        """Map many tokens with one regex pass and one `str.translate` over a newline-joined blob
        (no table maps or rewrites a newline, so tokens cannot interact); tokens that contain a
        newline themselves are mapped one by one."""
        blob = BOS + f"{EOS}\n{BOS}".join(tokens) + EOS
        if blob.count("\n") != len(tokens) - 1:
            return [self._map_one(t) for t in tokens]
        return self._rewrite(blob).translate(self._translate).split("\n")

    def _map_one(self, token: str) -> str:
        return self._rewrite(f"{BOS}{token}{EOS}").translate(self._translate)

    def _rewrite(self, text: str) -> str:
        return self._rewrite_re.sub(self._repl, text)  # leftmost non-overlapping, as cdrewrite LTR
