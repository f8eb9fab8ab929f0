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
from functools import partial
from itertools import filterfalse
from operator import itemgetter
from typing import NamedTuple

from curate.errors import OptionError, UnknownNameError
from curate.maltese.transliteration.candidates import CandidateGenerator
from curate.maltese.transliteration.deterministic import DeterministicMapper
from curate.maltese.transliteration.preprocess import preprocess_many
from curate.maltese.transliteration.ranker import CharNgramRanker, Ranker, choose
from curate.maltese.transliteration.tables import BOS, EOS, load_closed_class

MODES = ("deterministic", "candidates", "ranked")
UNMAPPED_POLICIES = ("pass", "token")


class TokenResult(NamedTuple):
    output: str  # the chosen text (deterministic/ranked; first candidate in candidates mode), `+` stripped
    merges_with_next: bool  # the chosen output ended in a clitic `+`
    candidates: tuple[str, ...]  # raw outputs (with any `+`), distinct, deterministic lattice order
    capped: bool  # the candidate cap was reached
    source: str  # "lexicon", "tables" or "fallback" (whole token kept)
    unmapped: tuple[str, ...]  # characters no table covers


_OUTPUT = itemgetter(0)
Signature = tuple[tuple[str, int], ...]  # the counters one occurrence of a type adds to `stats`
_PLAIN: Signature = (("source_tables", 1),)
_LEXICON: Signature = (("source_lexicon", 1),)
_new_result = partial(tuple.__new__, TokenResult)  # C-level, unlike the generated TokenResult.__new__


def signature(res: TokenResult) -> Signature:
    if res.source == "tables" and not res.unmapped and not res.capped:
        return _PLAIN  # shared objects for the two common kinds: `_account` counts them by identity
    if res.source == "lexicon":
        return _LEXICON
    sig = [(f"source_{res.source}", 1)]
    if res.unmapped:
        sig += [("tokens_with_unmapped_chars", 1), ("unmapped_chars", len(res.unmapped))]
    if res.capped:
        sig.append(("capped_tokens", 1))
    return tuple(sig)


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
            raise OptionError(f"max_candidates must be at least 1, got {max_candidates}")
        self.mode, self.unmapped, self.max_candidates = mode, unmapped, max_candidates
        self.lexicons = load_closed_class() if closed_class else ()
        self._lexicon: dict[str, str] = {}
        for lexicon in reversed(self.lexicons):  # the first table with a hit wins
            self._lexicon.update(lexicon)
        self._det = DeterministicMapper() if mode == "deterministic" else None
        self._gen = CandidateGenerator() if mode != "deterministic" else None
        self._rankers = list(rankers) if rankers is not None else ([CharNgramRanker()] if mode == "ranked" else [])
        self._cache: dict[str, TokenResult] = {}  # keyed on the raw token: a hit skips preprocessing
        self._signatures: dict[str, Signature] = {}  # same keys
        self.cache_size = cache_size
        self.stats: Counter = Counter()

    # ---- lookup with the per-type cache ---------------------------------------------------------
    def results(self, tokens: Sequence[str]) -> list[TokenResult]:
        """One result per token. With the cache each type is computed once and a repeated type costs a
        few C-level dict lookups (no Python code runs per token); with `cache_size=0` every occurrence
        is computed (still batched)."""
        cache = self._cache
        if not all(map(cache.__contains__, tokens)):
            if not self.cache_size:
                found, signatures = self._compute_many(list(tokens))
                self._account(signatures)
                return found
            self._add_missing(tokens)
        self._account(list(map(self._signatures.__getitem__, tokens)))
        return list(map(cache.__getitem__, tokens))

    def _add_missing(self, tokens: Sequence[str]) -> None:
        cache = self._cache
        missing = list(dict.fromkeys(filterfalse(cache.__contains__, tokens)))
        if len(cache) + len(missing) > self.cache_size:
            cache.clear()  # types are Zipfian: refilling is cheap, bookkeeping an LRU is not
            self._signatures.clear()
            missing = list(dict.fromkeys(tokens))  # the batch's cached types were dropped too
        computed, signatures = self._compute_many(missing)
        cache.update(zip(missing, computed))
        self._signatures.update(zip(missing, signatures))

    def _account(self, signatures: list[Signature]) -> None:
        # the two shared signatures are counted in C (`list.count` matches by identity first); only
        # the rare others (unmapped characters, capped, fallback) are counted one by one
        stats = self.stats
        n = len(signatures)
        stats["tokens"] += n
        plain = signatures.count(_PLAIN)
        if plain:
            stats["source_tables"] += plain
        if plain == n:
            return
        lexicon = signatures.count(_LEXICON)
        if lexicon:
            stats["source_lexicon"] += lexicon
        if plain + lexicon != n:
            for sig, count in Counter(s for s in signatures if s is not _PLAIN and s is not _LEXICON).items():
                for key, value in sig:
                    stats[key] += value * count

    def result(self, token: str) -> TokenResult:
        return self.results([token])[0]

    # ---- computing ------------------------------------------------------------------------------
    def _compute_many(self, tokens: list[str]) -> tuple[list[TokenResult], list[Signature]]:
        """The tokens' results and their counter signatures."""
        pres = preprocess_many(tokens)
        if self._det is not None:
            out, plain = self._deterministic(pres)
            # a plain deterministic batch (the usual one) has one shared signature, no call per type
            signatures = [_PLAIN] * len(out) if plain else list(map(signature, out))
        else:
            # one search over the batch tells whether any token has unmapped characters or markers
            marked = self._gen.unmapped_re.search("".join(pres)) is not None
            out = [self._nondeterministic(pre, not marked) for pre in pres]
            signatures = list(map(signature, out))  # capped tokens: each needs a look
        if self._lexicon:
            hits = list(map(self._lexicon.get, pres))
            if hits.count(None) != len(hits):
                for i, hit in enumerate(hits):
                    if hit is not None:
                        out[i] = TokenResult(*split_clitic(hit), (hit,), False, "lexicon", ())
                        signatures[i] = _LEXICON
        return out, signatures

    def _deterministic(self, pres: list[str]) -> tuple[list[TokenResult], bool]:
        """Results, and whether all of them are plain table outputs (no unmapped characters)."""
        det = self._det
        out = [
            _new_result((raw, False, (raw,), False, "tables", ())) if raw[-1:] != "+" or raw == "+"
            else _new_result((raw.rstrip("+"), True, (raw,), False, "tables", ()))
            for raw in det.map_many(pres)
        ]
        if det.unmapped_re.search("".join(pres)) is None:  # one search tells whether any token needs a look
            return out, True
        for i, pre in enumerate(pres):
            unmapped = tuple(det.unmapped(pre))
            if BOS in pre or EOS in pre or (unmapped and self.unmapped == "token"):
                out[i] = self._fallback(pre, unmapped)
            elif unmapped:
                out[i] = out[i]._replace(unmapped=unmapped)
        return out, False

    def _nondeterministic(self, pre: str, plain: bool) -> TokenResult:
        unmapped = () if plain else tuple(self._gen.unmapped_re.findall(pre))
        if not plain and (BOS in pre or EOS in pre or (unmapped and self.unmapped == "token")):
            return self._fallback(pre, unmapped)
        candidates, capped = self._gen.generate(pre, self.max_candidates)
        if not candidates:
            return self._fallback(pre, unmapped)
        raw = self._pick(candidates)
        if raw[-1:] != "+" or raw == "+":
            return _new_result((raw, False, candidates, capped, "tables", unmapped))
        return _new_result((raw.rstrip("+"), True, candidates, capped, "tables", unmapped))

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
    def transliterate_many(self, tokens: Sequence[str]) -> list[str]:
        """One output per input token (alignment kept); the batch form of `transliterate`."""
        return list(map(_OUTPUT, self.results(tokens)))

    tokens = transliterate_many

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
