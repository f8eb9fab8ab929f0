"""A deterministic synthetic Maltese corpus with a real corpus's type statistics (for bench_corpus.py).

Types: the real Maltese types of UD_Maltese-MUDT (ranked by their MUDT frequency, so function words and
punctuation lead) and of the shipped translation tables, followed by productive forms made from real
stems: verb/person prefixes (`j`, `t`, `n`, `ji`, ...), pronominal and plural suffixes (`-ha`, `-hom`,
`-iet`, `-ijiet`, ...), capitalised variants. Token ranks are drawn from a Zipf law (exponent 1.1 over 2M
candidate types), which gives Heaps-law growth of the vocabulary (about 0.75M distinct types in 10M
tokens, 0.16M in the first 1M). Sentence lengths follow MUDT's. Same seed, same corpus, byte for byte.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np

PREFIXES = ("", "j", "t", "n", "ji", "ti", "ni", "m", "mi", "ma", "s", "ħ")
SUFFIXES = ("", "ha", "hom", "na", "kom", "u", "ni", "lu", "lha", "lhom", "lna", "iet", "ijiet", "i", "a", "t",
            "tu", "thom", "ek", "ok", "hielu")
ZIPF_S, CANDIDATES = 1.1, 2_000_000


def real_types() -> tuple[list[str], list[int]]:
    """MUDT types by descending frequency, then translation-table types; and MUDT sentence lengths."""
    from curate.formats.conllu import read_conllu
    from curate.maltese.resources import MUDT_DIR, MUDT_SPLITS, TRANSLATIONS_DIR

    counts: Counter = Counter()
    lengths = []
    for name in MUDT_SPLITS.values():
        for sent in read_conllu(MUDT_DIR / name):
            counts.update(sent.tokens)
            lengths.append(len(sent.tokens))
    ranked = sorted(counts, key=lambda t: (-counts[t], t))
    seen = set(ranked)
    table = set()
    for lang in ("en", "it", "ar"):
        for line in (TRANSLATIONS_DIR / f"mt-{lang}.tsv").read_text(encoding="utf-8").splitlines():
            key = line.split("\t", 1)[0].strip()
            if key and " " not in key and key not in seen:
                table.add(key)
    return ranked + sorted(table), lengths


class Vocabulary:
    """Rank -> type string: real types first, then productive forms in a fixed pseudo-random order."""

    def __init__(self, seed: int):
        self.real, self.lengths = real_types()
        rng = np.random.default_rng(seed)
        stems = sorted({t.lower() for t in self.real if t.isalpha() and len(t) >= 3})
        self.stems = [stems[i] for i in rng.permutation(len(stems))]
        self.n_forms = len(self.stems) * len(PREFIXES) * len(SUFFIXES) * 2
        self.mult = 2_654_435_761 % self.n_forms or 1  # a bijection of [0, n_forms) when coprime
        while np.gcd(self.mult, self.n_forms) != 1:
            self.mult += 1

    def __call__(self, rank: int) -> str:
        if rank < len(self.real):
            return self.real[rank]
        i = (rank - len(self.real)) * self.mult % self.n_forms
        i, cap = divmod(i, 2)
        i, suffix = divmod(i, len(SUFFIXES))
        stem, prefix = divmod(i, len(PREFIXES))
        word = PREFIXES[prefix] + self.stems[stem] + SUFFIXES[suffix]
        return word.capitalize() if cap else word


def render(tokens: list[str]) -> str:
    """Running text a MUDT-style tokeniser splits back: clitics (`il-`) glued to the next word,
    punctuation to the previous one."""
    out = []
    glue = False
    for tok in tokens:
        if out and (glue or (len(tok) == 1 and tok in ".,;:!?)")):
            out[-1] += tok
        else:
            out.append(tok)
        glue = tok.endswith("-") and len(tok) > 1
    return " ".join(out)


def make_corpus(out: Path, n_tokens: int, seed: int = 20240408) -> dict:
    """Writes `tokens.txt` (one sentence per line, tokens space-separated) and `text/train.txt` (the same
    sentences as running text); returns the statistics (types at 1M, 2M, 5M, 10M tokens...)."""
    marker = out / "corpus.json"
    if marker.exists() and json.loads(marker.read_text()).get("args") == [n_tokens, seed]:
        return json.loads(marker.read_text())
    out.mkdir(parents=True, exist_ok=True)
    (out / "text").mkdir(exist_ok=True)
    vocab = Vocabulary(seed)
    rng = np.random.default_rng(seed)
    cdf = np.cumsum(np.arange(1, CANDIDATES + 1, dtype=np.float64) ** -ZIPF_S)
    cdf /= cdf[-1]
    ranks = np.searchsorted(cdf, rng.random(n_tokens))
    lengths = np.asarray(vocab.lengths)[rng.integers(0, len(vocab.lengths), size=n_tokens // 10 + 10)]
    names: dict[int, str] = {}
    seen: set[int] = set()
    growth = {}
    checkpoints = {10**k for k in range(4, 10)} | {2 * 10**k for k in range(4, 9)} | {5 * 10**k for k in range(4, 9)}
    done = total = 0
    with (out / "tokens.txt").open("w", encoding="utf-8") as tok_f, (out / "text" / "train.txt").open("w", encoding="utf-8") as txt_f:
        for length in lengths:
            if done >= n_tokens:
                break
            chunk = ranks[done : done + max(int(length) - 1, 1)]
            tokens = [names.get(r) or names.setdefault(r, vocab(r)) for r in chunk.tolist()] + ["."]
            for k in range(done, done + len(chunk)):
                seen.add(int(ranks[k]))
                if k + 1 in checkpoints:
                    growth[k + 1] = len(seen)
            done += len(chunk)
            total += len(tokens)
            tok_f.write(" ".join(tokens) + "\n")
            txt_f.write(render(tokens) + "\n")
    stats = {"args": [n_tokens, seed], "tokens": total, "types": len(set(names.values())), "types_at_drawn": growth,
             "zipf_exponent": ZIPF_S, "candidate_types": CANDIDATES, "real_types": len(vocab.real)}
    marker.write_text(json.dumps(stats))
    return stats
