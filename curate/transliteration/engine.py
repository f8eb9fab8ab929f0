"""`MalteseTransliterator`: preprocessing, closed-class lexicon, the three modes, a per-type cache.

Reference semantics kept (MLRS/malti@2024.eacl `transliterate`): the lexicon is looked up on the
preprocessed token and the first table with a hit wins; a trailing `+` on an output marks a clitic
that merges with the next token and is stripped from the token's text (`+` alone stays `+`).
One deliberate difference, switchable: the reference returns the whole (preprocessed) token when any
character has no mapping; here such characters pass through unchanged and are counted
(`unmapped="pass"`, the default) unless `unmapped="token"` asks for the reference behaviour.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from operator import countOf, itemgetter
from typing import NamedTuple

from curate.errors import UnknownNameError
from curate.transliteration.candidates import CandidateGenerator
from curate.transliteration.deterministic import DeterministicMapper
from curate.transliteration.preprocess import preprocess
from curate.transliteration.ranker import CharNgramRanker, Ranker, choose
from curate.transliteration.tables import BOS, EOS, load_closed_class

MODES = ("deterministic", "candidates", "ranked")
UNMAPPED_POLICIES = ("pass", "token")


class TokenResult(NamedTuple):
    output: str  # the chosen text (deterministic/ranked; first candidate in candidates mode), `+` stripped
    merges_with_next: bool  # the chosen output ended in a clitic `+`
    candidates: tuple[str, ...]  # raw outputs (with any `+`), distinct, deterministic lattice order
    capped: bool  # the candidate cap was reached
    source: str  # "lexicon", "tables" or "fallback" (whole token kept)
    unmapped: tuple[str, ...]  # characters no table covers


_CAPPED, _SOURCE, _UNMAPPED = itemgetter(3), itemgetter(4), itemgetter(5)


def split_clitic(raw: str) -> tuple[str, bool]:
    if raw == "+" or not raw.endswith("+"):
        return raw, False
    return raw.rstrip("+"), True


class MalteseTransliterator:
    def __init__(
        self,
        mode: str = "deterministic",
        closed_class: bool = False,
        rankers: Sequence[Ranker] | None = None,
        max_candidates: int = 1000,
        unmapped: str = "pass",
        cache_size: int = 200_000,
    ) -> None:
        if mode not in MODES:
            raise UnknownNameError("transliteration mode", mode, list(MODES))
        if unmapped not in UNMAPPED_POLICIES:
            raise UnknownNameError("unmapped-character policy", unmapped, list(UNMAPPED_POLICIES))
        if max_candidates < 1:
            raise ValueError("max_candidates must be >= 1")
        self.mode, self.unmapped, self.max_candidates = mode, unmapped, max_candidates
        self.lexicons = load_closed_class() if closed_class else ()
        self._lexicon: dict[str, str] = {}
        for lexicon in reversed(self.lexicons):  # the first table with a hit wins
            self._lexicon.update(lexicon)
        self._det = DeterministicMapper() if mode == "deterministic" else None
        self._gen = CandidateGenerator() if mode != "deterministic" else None
        self._rankers = list(rankers) if rankers is not None else ([CharNgramRanker()] if mode == "ranked" else [])
        self._cache: dict[str, TokenResult] = {}
        self.cache_size = cache_size
        self.stats: Counter = Counter()

    # ---- lookup with the per-type cache ---------------------------------------------------------
    def results(self, tokens: Sequence[str]) -> list[TokenResult]:
        """One result per token. With the cache each type is computed once; with `cache_size=0`
        every occurrence is computed (still batched)."""
        if not self.cache_size:
            found = self._compute_many(list(tokens))
            self._account(found)
            return found
        cache = self._cache
        missing = [t for t in tokens if t not in cache]
        if missing:
            missing = list(dict.fromkeys(missing))
            if len(cache) + len(missing) > self.cache_size:
                cache.clear()  # types are Zipfian: refilling is cheap, bookkeeping an LRU is not
            cache.update(zip(missing, self._compute_many(missing), strict=True))
        found = [cache[t] for t in tokens]
        self._account(found)
        return found

    def _account(self, found: list[TokenResult]) -> None:
        # C-level counting (map/itemgetter): accounting must not cost more than the cached lookups
        stats = self.stats
        stats["tokens"] += len(found)
        from_tables = countOf(map(_SOURCE, found), "tables")
        stats["source_tables"] += from_tables
        if from_tables != len(found):
            for key, n in Counter(map(_SOURCE, found)).items():
                if key != "tables":
                    stats[f"source_{key}"] += n
        with_unmapped = len(found) - countOf(map(_UNMAPPED, found), ())
        if with_unmapped:
            stats["tokens_with_unmapped_chars"] += with_unmapped
            stats["unmapped_chars"] += sum(map(len, map(_UNMAPPED, found)))
        capped = sum(map(_CAPPED, found))
        if capped:
            stats["capped_tokens"] += capped

    def result(self, token: str) -> TokenResult:
        return self.results([token])[0]

    # ---- computing ------------------------------------------------------------------------------
    def _compute_many(self, tokens: list[str]) -> list[TokenResult]:
        pres = [t.lower() if t.isascii() else preprocess(t) for t in tokens]
        if self._det is not None:
            out = self._deterministic(pres)
        else:
            out = [self._nondeterministic(pre) for pre in pres]
        if self._lexicon:
            get = self._lexicon.get
            for i, pre in enumerate(pres):
                hit = get(pre)
                if hit is not None:
                    out[i] = TokenResult(*split_clitic(hit), (hit,), False, "lexicon", ())
        return out

    def _deterministic(self, pres: list[str]) -> list[TokenResult]:
        det = self._det
        out = [
            TokenResult(raw, False, (raw,), False, "tables", ()) if raw[-1:] != "+" or raw == "+"
            else TokenResult(raw.rstrip("+"), True, (raw,), False, "tables", ())
            for raw in det.map_many(pres)
        ]
        joined = "".join(pres)
        if det.unmapped_re.search(joined) is None:  # one search tells whether any token needs a look
            return out
        for i, pre in enumerate(pres):
            unmapped = tuple(det.unmapped(pre))
            if BOS in pre or EOS in pre or (unmapped and self.unmapped == "token"):
                out[i] = self._fallback(pre, unmapped)
            elif unmapped:
                out[i] = out[i]._replace(unmapped=unmapped)
        return out

    def _nondeterministic(self, pre: str) -> TokenResult:
        unmapped = tuple(self._gen.unmapped_re.findall(pre))
        if BOS in pre or EOS in pre or (unmapped and self.unmapped == "token"):
            return self._fallback(pre, unmapped)
        found = self._gen.generate(pre, self.max_candidates)
        if not found.candidates:
            return self._fallback(pre, unmapped)
        raw = self._pick(found.candidates)
        return TokenResult(*split_clitic(raw), found.candidates, found.capped, "tables", unmapped)

    def _fallback(self, pre: str, unmapped: tuple[str, ...]) -> TokenResult:
        return TokenResult(*split_clitic(pre), (pre,), False, "fallback", unmapped)

    def _pick(self, candidates: tuple[str, ...]) -> str:
        if self.mode != "ranked" or len(candidates) == 1:
            return min(candidates)
        texts = {split_clitic(c)[0]: c for c in reversed(candidates)}  # first raw form per text
        return texts[choose(list(texts), self._rankers)]

    def transliterate(self, token: str) -> str:
        return self.result(token).output

    def candidate_texts(self, token: str, keep_clitic_marker: bool = False) -> tuple[list[str], bool]:
        """Candidates as shown to users: `+` stripped (unless kept), deduplicated, code point order."""
        res = self.result(token)
        texts = res.candidates if keep_clitic_marker else {split_clitic(c)[0] for c in res.candidates}
        return sorted(set(texts)), res.capped

    # ---- sequences ------------------------------------------------------------------------------
    def tokens(self, tokens: Sequence[str]) -> list[str]:
        """One output per input token (alignment kept)."""
        return [r.output for r in self.results(tokens)]

    def join(self, tokens: Sequence[str], merge_clitics: bool = False) -> str:
        """Running text: outputs joined by spaces; with `merge_clitics` a clitic glues to the next output."""
        parts: list[str] = []
        glue = False
        for res in self.results(tokens):
            if glue and parts:
                parts[-1] += res.output
            else:
                parts.append(res.output)
            glue = merge_clitics and res.merges_with_next
        return " ".join(p for p in parts if p)
