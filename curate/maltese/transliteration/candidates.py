"""Candidates mode: every output of the non-deterministic tables for a token.

Stage 1 applies the context rewrites (2-char, shadda, `a<EOS>`-style final vowels, `<BOS>a`-style
word-initial alif) at their leftmost non-overlapping matches, each with its alternatives; stage 2 maps
what is left through the character maps, some of which span several characters (`-<EOS>`→`+`,
`-il<EOS>`→`ل`). Together they form a lattice; candidates are its paths. Each chain of per-position
alternatives is expanded in C (`_expand`: two deduplicated halves, one concatenation per path), with
deduplication only where paths can collide (deleted short vowels) and a cap that stops the expansion
early, so a token with tens of thousands of outputs costs about `cap` strings.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections.abc import Iterator
from itertools import accumulate, islice, product, starmap
from operator import add, mul
from typing import NamedTuple

from curate.maltese.transliteration.deterministic import drop_diacritics, rewrite_pattern, unmapped_pattern
from curate.maltese.transliteration.tables import BOS, DIACRITICS, EOS, Tables, load_tables


class CandidateSet(NamedTuple):
    candidates: tuple[str, ...]  # distinct, in lattice order (deterministic); sort for display
    capped: bool  # more distinct outputs exist than `candidates` holds


def _dedup(items) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


_SPLIT_FROM = 64  # paths; below this splitting costs more than it saves
_EAGER_LIMIT = 1 << 24  # paths; above this the halves themselves could be too large to build


class _Alternatives(dict):
    """unit → its outputs; a unit no table covers (an unmapped character) maps to itself."""

    def __missing__(self, unit: str) -> tuple[str, ...]:
        return (unit,)


class CandidateGenerator:
    def __init__(self, tables: Tables | None = None) -> None:
        tables = tables or load_tables(deterministic=False)
        self.tables = tables
        self._rewrite_re = rewrite_pattern(tables)
        self._rewrite_alts = {k: _dedup(drop_diacritics(o, tables.dediac) for o in v) for k, v in tables.rewrites.items()}
        self._char_alts = {k: _dedup(drop_diacritics(o, tables.dediac) for o in v) for k, v in tables.chars.items()}
        for c in tables.dediac:  # dediac applies to diacritics already in the input as well
            if c in self._char_alts:
                self._char_alts[c] = ("",)
        self._multi = sorted({len(k) for k in tables.chars if len(k) > 1}, reverse=True)
        self._multi_first = {k[0] for k in tables.chars if len(k) > 1}
        self.unmapped_re = unmapped_pattern(tables)
        # both sets are tiny (`-`; sukun): a `re` character class tests a token for them in one C call
        self._branches_re = re.compile(_char_class(self._multi_first))
        self._survivors_re = re.compile(_char_class(frozenset(DIACRITICS) - tables.dediac))
        # one `findall` splits a marked token into units: a rewrite at its leftmost match (longest
        # first, as `_rewrite_re`), otherwise one character; the same segmentation as `lattice()`
        # when no multi-character map applies
        self._unit_re = re.compile(f"(?:{self._rewrite_re.pattern})|.", re.DOTALL)
        units = {k: v for k, v in self._char_alts.items() if len(k) == 1}
        self._unit_alts = _Alternatives({**units, **self._rewrite_alts})

    def lattice(self, token: str) -> list[list[tuple[int, tuple[str, ...]]]]:
        """edges[i] = [(j, outputs), ...]; unmapped characters get an identity edge."""
        marked = f"{BOS}{token}{EOS}"
        units: list[str | tuple[str, ...]] = []
        pos = 0
        for m in self._rewrite_re.finditer(marked):
            units.extend(marked[pos:m.start()])
            units.append(self._rewrite_alts[m.group()])
            pos = m.end()
        units.extend(marked[pos:])
        n = len(units)
        edges: list[list[tuple[int, tuple[str, ...]]]] = [[] for _ in range(n)]
        for i, unit in enumerate(units):
            if isinstance(unit, tuple):
                edges[i].append((i + 1, unit))
                continue
            if unit in self._multi_first:
                for length in self._multi:
                    span = units[i:i + length]
                    if len(span) == length and all(isinstance(u, str) for u in span):
                        alts = self._char_alts.get("".join(span))  # type: ignore[arg-type]
                        if alts is not None:
                            edges[i].append((i + length, alts))
            edges[i].append((i + 1, self._char_alts.get(unit, (unit,))))
        return edges

    def _chain(self, token: str) -> list[tuple[str, ...]]:
        return list(map(self._unit_alts.__getitem__, self._unit_re.findall(f"{BOS}{token}{EOS}")))

    def segmentations(self, token: str) -> list[list[tuple[str, ...]]]:
        """The lattice's paths of edges: each one a chain of per-position alternatives. Only the
        multi-character maps (`-<EOS>`, `-il<EOS>`) branch, so a token has one to three chains."""
        if not self._branches_re.search(token):  # no branching map applies: one chain
            return [self._chain(token)]
        edges = self.lattice(token)
        n = len(edges)
        chains: list[list[tuple[str, ...]]] = []
        stack: list[tuple[int, list[tuple[str, ...]]]] = [(0, [])]
        while stack:
            i, chain = stack.pop()
            if i == n:
                chains.append(chain)
                continue
            for j, alts in reversed(edges[i]):  # reversed: the stack pops them in table order
                stack.append((j, chain + [alts]))
        return chains

    def generate(self, token: str, cap: int) -> CandidateSet:
        """All distinct outputs of a preprocessed token, at most `cap` of them (the first distinct ones
        in lattice order; callers sort for display). Expansion runs in C (`_expand`) and stops once
        `cap + 1` distinct outputs are seen."""
        chains = self.segmentations(token)
        paths, distinct = _expand(chains[0])
        if len(chains) == 1 and distinct:  # nearly every token: no deduplication needed
            found = list(islice(paths, cap + 1))
        elif len(chains) == 1 and math.prod(map(len, chains[0])) <= 4 * cap:
            found = dict.fromkeys(paths)  # most of the rest: small, expanded at once as the loop would
        else:
            found = {}
            for k, chain in enumerate(chains):
                if k:
                    paths = _expand(chain)[0]
                if len(found) + math.prod(map(len, chain)) <= 4 * cap:  # small enough to expand at once
                    found.update(dict.fromkeys(paths))
                else:
                    while len(found) <= cap:
                        chunk = list(islice(paths, cap))
                        if not chunk:
                            break
                        found.update(dict.fromkeys(chunk))
                if len(found) > cap:
                    break
        capped = len(found) > cap
        items = list(found)[:cap] if capped else found
        # the reference's edge filter (skipped when any output is empty); after dediac only a
        # diacritic the tables do not delete (sukun) can be left, and only if the input had one
        if self._survivors_re.search(token) and all(items):
            items = [c for c in items if c[0] not in DIACRITICS and c[-1] not in DIACRITICS]
        return CandidateSet(tuple(items), capped)


def _char_class(chars: set[str] | frozenset[str]) -> str:
    return "[" + "".join(map(re.escape, sorted(chars))) + "]" if chars else "(?!)"  # (?!) never matches


def _expand(chain: list[tuple[str, ...]]) -> tuple[Iterator[str], bool]:
    """The chain's paths in lattice (`itertools.product`) order, and whether they are sure to be
    distinct. The chain is cut where the left part has about sqrt(total) outputs; both halves are
    built with `str.join` and deduplicated, and every full path is one C-level concatenation of a
    left and a right string. If no left string is a prefix of another (or no right string a suffix
    of another), `l1 + r1 == l2 + r2` forces `l1 == l2`, so the paths need no deduplication.
    Chains too large to ever finish (a very long token, stopped by the cap) stay fully lazy."""
    sizes = list(accumulate(map(len, chain), mul))
    if sizes[-1] <= _SPLIT_FROM or sizes[-1] > _EAGER_LIMIT:
        return map("".join, product(*chain)), False
    cut = min(max(bisect_left(sizes, math.isqrt(sizes[-1])) + 1, 1), len(chain) - 1)
    left = list(dict.fromkeys(map("".join, product(*chain[:cut]))))
    right = list(dict.fromkeys(map("".join, product(*chain[cut:]))))
    distinct = _prefix_free(left) or _prefix_free([r[::-1] for r in right])
    return starmap(add, product(left, right)), distinct


def _prefix_free(strings: list[str]) -> bool:
    # in code point order, any string that has a proper prefix in the list directly follows one
    ordered = sorted(strings)
    return not any(map(str.startswith, ordered[1:], ordered[:-1]))
