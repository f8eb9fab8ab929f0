"""Candidates mode: every output of the non-deterministic tables for a token.

Stage 1 applies the context rewrites (2-char, shadda, `a<EOS>`-style final vowels, `<BOS>a`-style
word-initial alif) at their leftmost non-overlapping matches, each with its alternatives; stage 2 maps
what is left through the character maps, some of which span several characters (`-<EOS>`→`+`,
`-il<EOS>`→`ل`). Together they form a lattice; candidates are its paths, built from the end with
duplicates merged at every node (deleted short vowels make many paths collide) and a cap that stops
the expansion early, so a token with tens of thousands of outputs costs at most `cap` strings per node.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from curate.transliteration.deterministic import drop_diacritics, rewrite_pattern, unmapped_pattern
from curate.transliteration.tables import BOS, DIACRITICS, EOS, Tables, load_tables


@dataclass(frozen=True)
class CandidateSet:
    candidates: tuple[str, ...]  # distinct, in lattice order (deterministic); sort for display
    capped: bool  # more distinct outputs exist than `candidates` holds


def _dedup(items) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


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
        self._survivors = frozenset(DIACRITICS) - tables.dediac

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
        marked = f"{BOS}{token}{EOS}"
        alts, get = self._char_alts, self._char_alts.get
        chain: list[tuple[str, ...]] = []
        pos = 0
        for m in self._rewrite_re.finditer(marked):
            chain.extend(alts[c] if c in alts else (c,) for c in marked[pos:m.start()])
            chain.append(self._rewrite_alts[m.group()])
            pos = m.end()
        chain.extend(get(c) or (c,) for c in marked[pos:])
        return chain

    def segmentations(self, token: str) -> list[list[tuple[str, ...]]]:
        """The lattice's paths of edges: each one a chain of per-position alternatives. Only the
        multi-character maps (`-<EOS>`, `-il<EOS>`) branch, so a token has one to three chains."""
        if not self._multi_first.intersection(token):  # no branching map applies: one chain
            return [_merge_fixed(self._chain(token))]
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
        return [_merge_fixed(chain) for chain in chains]

    def generate(self, token: str, cap: int) -> CandidateSet:
        """All distinct outputs of a preprocessed token, at most `cap` of them (the first distinct ones
        in lattice order; callers sort for display). Expansion is `itertools.product` + `str.join`, so it runs in C
        and stops once `cap + 1` distinct outputs are seen."""
        found: dict[str, None] = {}
        capped = False
        for chain in self.segmentations(token):
            size = math.prod(len(a) for a in chain)
            paths = map("".join, itertools.product(*chain))
            if len(found) + size <= 4 * cap:  # small enough to expand at once
                found.update(dict.fromkeys(paths))
            else:
                while len(found) <= cap:
                    chunk = list(itertools.islice(paths, cap))
                    if not chunk:
                        break
                    found.update(dict.fromkeys(chunk))
            if len(found) > cap:
                capped = True
                break
        items = list(found)[:cap]
        # the reference's edge filter (skipped when any output is empty); after dediac only a
        # diacritic the tables do not delete (sukun) can be left, and only if the input had one
        if self._survivors.intersection(token) and all(items):
            items = [c for c in items if c[0] not in DIACRITICS and c[-1] not in DIACRITICS]
        return CandidateSet(tuple(items), capped)


def _merge_fixed(chain: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """Join runs of single-alternative positions into one string: fewer pieces for `str.join`."""
    out: list[tuple[str, ...]] = []
    for alts in chain:
        if len(alts) == 1 and out and len(out[-1]) == 1:
            out[-1] = (out[-1][0] + alts[0],)
        else:
            out.append(alts)
    return out
