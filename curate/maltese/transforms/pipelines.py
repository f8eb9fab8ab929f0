"""The paper's etymology-conditioned pipelines (Micallef et al., EACL 2024) as one Transform.

Each token gets an action chosen by its etymology label: keep it, transliterate it to Arabic script,
or translate it word by word with the shipped Google Translate tables (`mt-en`, `mt-it`, `mt-ar`).
Output token i always comes from input token i (the count never changes), so UPOS, heads and NER
tags still apply. A word missing from the translation table is kept as is and counted
(`translate_oov`); the reference raises `KeyError` there.

Presets (merged labels; fine labels are mapped to merged ones first):
- `raw`: every token unchanged.
- `translit_all` (X_ara): every token transliterated.
- `translit_arabic` (X_ara/P): `Arabic` tokens transliterated, the rest kept.
- `translate_all` (T_eng/T_ita/T_ara): every token translated, symbols included, as upstream.
- `mixed` (X_ara/T_*): `Arabic` transliterated, `Non-Arabic` and `Name` translated; `Symbol` and
  `Code-Switching` kept, which is the upstream command (`--transliterate Arabic --translate
  Non-Arabic Name`). Pass `actions=` to compose any other mapping by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cache
from pathlib import Path

from curate.errors import UnknownNameError
from curate.maltese.resources import FINE_LABELS, MERGED_LABELS, TRANSLATIONS_DIR
from curate.maltese.transliteration.engine import MalteseTransliterator
from curate.transforms.base import Transform

ACTIONS = ("keep", "transliterate", "translate")
FINE_TO_MERGED = {"Mixed": "Non-Arabic", "Name (Arabic)": "Name", "Name (Non-Arabic)": "Name"}
PIPELINE_PRESETS: dict[str, dict[str, str]] = {
    "raw": {},
    "translit_all": {label: "transliterate" for label in MERGED_LABELS},
    "translit_arabic": {"Arabic": "transliterate"},
    "translate_all": {label: "translate" for label in MERGED_LABELS},
    "mixed": {"Arabic": "transliterate", "Non-Arabic": "translate", "Name": "translate"},
}
TRANSLATION_SYSTEMS = ("en", "it", "ar")


@cache
def load_translations(target: str, directory: str = str(TRANSLATIONS_DIR)) -> dict[str, str]:
    """`mt-<target>.tsv` read as upstream does (`line.strip().split('\\t')`, a later duplicate wins);
    rows without exactly two columns cannot be looked up and are left out."""
    if target not in TRANSLATION_SYSTEMS:
        raise UnknownNameError("translation system", target, list(TRANSLATION_SYSTEMS))
    table: dict[str, str] = {}
    with (Path(directory) / f"mt-{target}.tsv").open(encoding="utf-8") as f:
        for line in f:
            cols = line.strip().split("\t")
            if len(cols) == 2:
                table[cols[0]] = cols[1]
    return table


class ConditionalPipeline(Transform):
    name = "conditional_pipeline"

    def __init__(
        self,
        preset: str | None = "translit_arabic",
        actions: Mapping[str, str | Callable[[str], str]] | None = None,
        translate_to: str = "en",
        transliterator: MalteseTransliterator | None = None,
        tokens_key: str = "tokens",
        labels_key: str = "etymology",
        output_key: str | None = None,
    ) -> None:
        super().__init__()
        if actions is None:
            if preset not in PIPELINE_PRESETS:
                raise UnknownNameError("pipeline preset", str(preset), list(PIPELINE_PRESETS))
            actions = PIPELINE_PRESETS[preset]
        self.preset = preset if actions is PIPELINE_PRESETS.get(preset or "") else "custom"
        self.translate_to = translate_to
        self.translations = load_translations(translate_to)
        # the paper's X_ara uses the closed-class lexicon; deterministic output needs no LM
        self.transliterator = transliterator or MalteseTransliterator("deterministic", closed_class=True)
        self.tokens_key, self.labels_key = tokens_key, labels_key
        self.output_key = output_key or f"tokens_{self.preset}"
        self._transliterate_one = self._transliterate  # one bound method: `apply_tokens` batches it by identity
        self.actions: dict[str, Callable[[str], str]] = {}
        for label, action in actions.items():
            if label not in MERGED_LABELS:
                raise UnknownNameError("etymology label", label, list(MERGED_LABELS))
            self.actions[label] = self._resolve(action)

    def _resolve(self, action: str | Callable[[str], str]) -> Callable[[str], str]:
        if callable(action):
            return action
        if action not in ACTIONS:
            raise UnknownNameError("pipeline action", action, list(ACTIONS))
        return {"keep": lambda t: t, "transliterate": self._transliterate_one, "translate": self._translate}[action]

    def _transliterate(self, token: str) -> str:
        self.count("transliterated")
        return self.transliterator.transliterate(token)

    def _translate(self, token: str) -> str:
        hit = self.translations.get(token)
        if hit is None:
            self.count("translate_oov")  # fallback: the token is kept
            return token
        self.count("translated")
        return hit

    def apply_tokens(self, tokens: Sequence[str], labels: Sequence[str]) -> list[str]:
        """One output per token; `labels` are merged or fine etymology labels, one per token."""
        if len(tokens) != len(labels):
            raise ValueError(f"{len(tokens)} tokens but {len(labels)} etymology labels")
        out = list(tokens)
        to_transliterate: list[int] = []  # done in one batch call: one cache lookup per token, in C
        for i, (token, label) in enumerate(zip(tokens, labels, strict=True)):
            merged = FINE_TO_MERGED.get(label, label)
            if merged not in MERGED_LABELS:
                raise UnknownNameError("etymology label", label, list(MERGED_LABELS) + list(FINE_LABELS))
            action = self.actions.get(merged)
            if action is self._transliterate_one:
                to_transliterate.append(i)
            elif action is not None:
                out[i] = action(token)
        if to_transliterate:
            texts = self.transliterator.transliterate_many([tokens[i] for i in to_transliterate])
            for i, text in zip(to_transliterate, texts, strict=True):
                out[i] = text
            self.count("transliterated", len(to_transliterate))
        return out

    def apply(self, record: dict) -> dict | None:
        out = dict(record)
        out[self.output_key] = self.apply_tokens(record[self.tokens_key], record[self.labels_key])
        self.count("records")
        return out
