"""Cross-language block alignment for one act (config `aligned`).

Translations of an EU act keep the paragraph structure, which EUR-Lex-Sum only implied. Blocks are
aligned in two steps: (1) anchors in block ids (`art_5`, `anx_I`, `lseu-section-aim`, legacy
"Article 5" lines) that exist in both languages pin the order; (2) inside each anchored stretch a
small dynamic programme pairs blocks 1-1 or leaves one unpaired, scoring the numbers the two texts
share (article and OJ references survive translation), their length ratio and their block type.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

_NUMBER = re.compile(r"\d+(?:[./]\d+)*")
SKIP_COST = 0.3  # leaving a block unpaired; a pair scoring below 1 - 2 * SKIP_COST is not made


@dataclass(frozen=True)
class AlignedPair:
    source_ids: list[str]
    target_ids: list[str]
    score: float

    def as_dict(self) -> dict:
        return {"source_ids": self.source_ids, "target_ids": self.target_ids, "score": round(self.score, 4)}


def _anchor(block: dict) -> str:
    return block["id"].rsplit(".", 1)[0]


def _numbers(text: str) -> frozenset[str]:
    return frozenset(_NUMBER.findall(text))


def _pair_cost(a: dict, b: dict, na: frozenset, nb: frozenset, ratio: float) -> float:
    if na or nb:
        number_sim = len(na & nb) / len(na | nb)
    else:
        number_sim = 0.5  # no evidence either way
    expected = max(1.0, len(a["text"]) * ratio)
    length_sim = math.exp(-abs(math.log(max(1, len(b["text"])) / expected)))
    type_sim = 1.0 if a["type"] == b["type"] else 0.0
    return 1.0 - (0.45 * number_sim + 0.35 * length_sim + 0.2 * type_sim)


def _dp(src: list[dict], tgt: list[dict], ratio: float) -> list[AlignedPair]:
    """Monotonic alignment of two short block lists with 1-1, 1-0 and 0-1 moves."""
    n, m = len(src), len(tgt)
    ns = [_numbers(b["text"]) for b in src]
    nt = [_numbers(b["text"]) for b in tgt]
    inf = float("inf")
    cost = [[inf] * (m + 1) for _ in range(n + 1)]
    move = [[0] * (m + 1) for _ in range(n + 1)]
    cost[0][0] = 0.0
    for i in range(n + 1):
        row, prev = cost[i], cost[i - 1] if i else None
        for j in range(m + 1):
            if i and j:
                c = prev[j - 1] + _pair_cost(src[i - 1], tgt[j - 1], ns[i - 1], nt[j - 1], ratio)
                if c < row[j]:
                    row[j], move[i][j] = c, 1
            if i and prev[j] + SKIP_COST < row[j]:
                row[j], move[i][j] = prev[j] + SKIP_COST, 2
            if j and row[j - 1] + SKIP_COST < row[j]:
                row[j], move[i][j] = row[j - 1] + SKIP_COST, 3
    pairs: list[AlignedPair] = []
    i, j = n, m
    while i or j:
        mv = move[i][j]
        if mv == 1:
            c = _pair_cost(src[i - 1], tgt[j - 1], ns[i - 1], nt[j - 1], ratio)
            pairs.append(AlignedPair([src[i - 1]["id"]], [tgt[j - 1]["id"]], 1.0 - c))
            i, j = i - 1, j - 1
        elif mv == 2:
            pairs.append(AlignedPair([src[i - 1]["id"]], [], 0.0))
            i -= 1
        else:
            pairs.append(AlignedPair([], [tgt[j - 1]["id"]], 0.0))
            j -= 1
    return pairs[::-1]


def _common_anchors(src: list[dict], tgt: list[dict]) -> list[tuple[int, int]]:
    """(source index, target index) of the first block of every anchor both sides share, in an
    order that is increasing on both sides (longest increasing subsequence over target positions)."""
    first_t: dict[str, int] = {}
    for j, b in enumerate(tgt):
        first_t.setdefault(_anchor(b), j)
    seen, cands = set(), []
    for i, b in enumerate(src):
        a = _anchor(b)
        if a != "doc" and a not in seen and a in first_t:
            seen.add(a)
            cands.append((i, first_t[a]))
    # LIS on target index, O(k^2) on the few hundred anchors an act has
    best: list[list[tuple[int, int]]] = []
    for i, j in cands:
        chain = max((c for c in best if c[-1][1] < j), key=len, default=[])
        best.append([*chain, (i, j)])
    return max(best, key=len, default=[])


def align_blocks(src: list[dict], tgt: list[dict]) -> list[AlignedPair]:
    """Align two languages' blocks of the same document; every block id appears exactly once."""
    total_s = sum(len(b["text"]) for b in src) or 1
    ratio = (sum(len(b["text"]) for b in tgt) or 1) / total_s
    cuts = [(0, 0), *_common_anchors(src, tgt), (len(src), len(tgt))]
    pairs: list[AlignedPair] = []
    for (i0, j0), (i1, j1) in zip(cuts, cuts[1:], strict=False):
        pairs.extend(_dp(src[i0:i1], tgt[j0:j1], ratio))
    return pairs
