"""The EntityCS recipe (Whitehouse et al., 2022) with every constant a parameter.

Sentence filters follow `huawei-noah/noah-research:NLP/EntityCS/wiki_cs_corpus/{sentenizer,post_process_sents}.py`;
target languages are the intersection of the label languages of a sentence's entities, sampled down
to K with a per-sentence seeded RNG (the original sampled unseeded), and markup is `<en>…</en>` /
`<xx>…</xx>` around entities. Offsets into the marked-up strings are recorded explicitly.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from curate.builders.entity_cs.wikitext import Paragraph

# EC/cs_pretrain/languages/xlmr_langs.txt minus "en": the 92 languages EntityCS switches into.
ENTITYCS_LANGUAGES: tuple[str, ...] = tuple("""
af am ar as az be bg bn br bs ca cs cy da de el eo es et eu fa fi fr fy ga gd gl gu ha he hi hr hu hy id is it
ja jv ka kk km kn ko ku ky la lo lt lv mg mk ml mn mr ms my ne nl nb om or pa pl ps pt ro ru sa sd si sk sl so sq
sr su sv sw ta te th tl tr ug uk ur uz vi xh yi zh
""".split())


@dataclass(frozen=True)
class Recipe:
    min_links: int = 1
    max_links: int = 10
    min_chars: int = 20  # a sentence must be longer than this (EC: len(sent) <= 20 is dropped)
    max_tokens: int = 128  # whitespace tokens
    max_link_fraction: float = 0.5  # no single link may cover more than this share of the characters
    num_translations: int = 5  # K target languages per sentence at most
    seed: int = 0
    languages: tuple[str, ...] = ENTITYCS_LANGUAGES
    mul_fallback: bool = True  # use the `mul` label where a language has none of its own (Wikidata, 2024+)
    trail_in_anchor: bool = True  # `[[tree]]s` → `<en>trees</en>`; False gives EC's `<en>tree</en>s`
    keep_lists: bool = False
    title_case_fallback: bool = False  # EC's third key, str.title(); off: MediaWiki titles are first-letter only
    drop_markers: tuple[str, ...] = field(default=("rowspan=", "colspan=", "style=", "scope=\"row\"",
                                                   "scope=\"col\"", "[[", "]]"))

    def reject(self, sent: Paragraph) -> str | None:
        """Why the sentence is left out (a skip reason for the manifest), or None to keep it."""
        n = len(sent.links)
        if n < self.min_links:
            return "sentence_too_few_links"
        if n > self.max_links:
            return "sentence_too_many_links"
        if len(sent.text) <= self.min_chars:
            return "sentence_too_short"
        if len(sent.text.split()) > self.max_tokens:
            return "sentence_too_many_tokens"
        if any(marker in sent.text for marker in self.drop_markers):
            return "sentence_table_or_markup"
        limit = self.max_link_fraction * len(sent.text)
        if any(lk.end - lk.start > limit for lk in sent.links):
            return "sentence_link_too_long"
        return None

    def choose_languages(self, sentence_id: str, candidates: list[str]) -> list[str]:
        """Up to K of the candidate languages, the same on every machine and for any work-unit split."""
        candidates = sorted(candidates)
        if len(candidates) <= self.num_translations:
            return candidates
        rng = random.Random(f"{self.seed}:{sentence_id}")  # str seeds hash with sha512: stable across runs
        return sorted(rng.sample(candidates, self.num_translations))


def render(sent: Paragraph, lang: str, texts: list[str | None]) -> tuple[str, list[tuple[int, int]]]:
    """The sentence with every link tagged; link i shows `texts[i]` in `<lang>` tags, or its English
    anchor in `<en>` tags when `texts[i]` is None. Returns the string and the (start, end) of each text."""
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    pos = length = 0
    for link, text in zip(sent.links, texts, strict=False):
        before = sent.text[pos:link.start]
        tag = lang if text is not None else "en"
        shown = text if text is not None else sent.text[link.start:link.end]
        open_tag = f"<{tag}>"
        out += [before, open_tag, shown, f"</{tag}>"]
        start = length + len(before) + len(open_tag)
        spans.append((start, start + len(shown)))
        length = start + len(shown) + len(tag) + 3
        pos = link.end
    out.append(sent.text[pos:])
    return "".join(out), spans
