"""`Transliterator`: Maltese→Arabic script as a Transform (record, `datasets.map` batch, datatrove step).

A record either carries a token list (`tokens_key`, one output per token, so token-level annotations
still apply) or running text (`text_key`, split MUDT-style, outputs joined by spaces). Counters:
`tokens`, `source_lexicon` / `source_tables` / `source_fallback`, `unmapped_chars`, `capped_tokens`.
"""

from __future__ import annotations

from collections.abc import Sequence

from curate.errors import OptionError
from curate.maltese.transliteration.engine import MalteseTransliterator
from curate.maltese.transliteration.ranker import Ranker
from curate.transforms.base import Transform


class Transliterator(Transform):
    name = "transliterate"

    def __init__(
        self,
        mode: str = "deterministic",
        closed_class: bool = False,
        merge_clitics: bool = False,
        max_candidates: int = 1000,
        rankers: Sequence[Ranker] | None = None,
        unmapped: str = "pass",
        tokens_key: str | None = "tokens",
        text_key: str | None = None,
        output_key: str | None = None,
    ) -> None:
        super().__init__()
        if mode == "candidates":
            raise OptionError("the Transliterator transform writes one output per token: use mode "
                             "'deterministic' or 'ranked' (MalteseTransliterator gives candidate sets)")
        if (tokens_key is None) == (text_key is None):
            raise OptionError("give exactly one of tokens_key (a token list) or text_key (running text)")
        self.engine = MalteseTransliterator(mode, closed_class, rankers, max_candidates, unmapped)
        self.engine.stats = self.stats  # one set of counters, reported by the runner
        self.merge_clitics = merge_clitics
        self.tokens_key, self.text_key = tokens_key, text_key
        self.output_key = output_key or tokens_key or text_key

    def transliterate_tokens(self, tokens: Sequence[str]) -> list[str]:
        return self.engine.tokens(tokens)

    def transliterate_text(self, text: str) -> str:
        from curate.maltese.etymology.tokenize import tokenize

        return self.engine.join(tokenize(text), merge_clitics=self.merge_clitics)

    def apply(self, record: dict) -> dict | None:
        out = dict(record)
        if self.tokens_key is not None:
            tokens = record.get(self.tokens_key)
            if not isinstance(tokens, (list, tuple)):
                self.count("dropped_no_token_list")
                return None
            out[self.output_key] = self.transliterate_tokens(tokens)
        else:
            text = record.get(self.text_key)
            if not isinstance(text, str):
                self.count("dropped_no_text")
                return None
            out[self.output_key] = self.transliterate_text(text)
        return out
