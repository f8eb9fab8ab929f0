"""Split raw Maltese text into tokens the way UD_Maltese-MUDT does.

MUDT writes articles and proclitics as tokens of their own (`il-`, `tal-`, `għall-`, `b'`, `f'`),
splits punctuation off words but keeps word-internal hyphens (`Sa-marin`), trailing apostrophes
(`ta'`, `biża'`), thousands separators (`40,000`) and a few abbreviations (`Dr.`). Sentence
boundaries come from the caller (one line = one sentence) or from `split_sentences`.
"""

from __future__ import annotations

import re

# preposition (+ article) prefixes written with a hyphen; the article assimilates to the next
# consonant (`ix-xemx`, `iċ-ċirkostanzi`), so the last letter before the hyphen is the article consonant
_PREPOSITIONS = "i|ta|fi|f|mi|bi|b|ma|sa|li|lil|għa|għal|gha|ghal|bħa|bħal|bha|bhal|ġo|go|da|di|du|mil|mal"
_ARTICLE = rf"(?:(?:{_PREPOSITIONS})?(?:ll|l|ċ|d|n|r|s|t|x|ż|z)|mill|lill|għall|bħall)-"
# MUDT keeps the period only on these titles (`Onor .` and `Nru .` are split there)
_ABBREVIATION_WORDS = "Dr|Fr|Mr|Mrs|Prof|St"
_ABBREVIATIONS = rf"(?:{_ABBREVIATION_WORDS})\.(?=\s|$)"

_TOKEN = re.compile(
    rf"""
    (?P<article>(?<![^\s"'(\[“‘«])(?i:{_ARTICLE})(?=\S))          # il-Qorti, tal-, "Il-Gvern
  | (?P<apostrophe>(?<![^\s"'(\[“‘«])[^\W\d_]{{1,5}}'(?=[^\W\d_]{{2}}))  # b'xi, f'Malta (not let's)
  | (?P<elided>'(?:il|l)(?![^\W_]))                                 # 'l fuq, 'il quddiem
  | (?P<ordinal>\d+-(?:il|a)(?![^\W_]))                             # 14-il, 1-a
  | (?P<abbrev>{_ABBREVIATIONS})
  | (?P<entity>&[a-zA-Z]+;)
  | (?P<number>\d+(?:[.,:/]\d+)*)
  | (?P<word>[^\W_]+(?:[-'’][^\W_]+)*(?:'|-(?=\s|$))?)               # ta', Sa-marin, pre-
  | (?P<other>\S)
    """,
    re.VERBOSE,
)

_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"”’)]*\s+(?=[\"“‘(]*[A-ZĊĠĦŻ0-9])")


def tokenize(text: str) -> list[str]:
    """Tokens of one sentence (or any span of text), MUDT style."""
    return [m.group(0) for m in _TOKEN.finditer(text)]


def split_sentences(text: str) -> list[str]:
    """A light sentence splitter: after `.`, `!`, `?` or `…` followed by an upper-case start.

    Abbreviations kept as one token (`Dr.`) do not end a sentence.
    """
    out: list[str] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        before = text[start : m.start()]
        if re.search(rf"(?:^|\s)(?:{_ABBREVIATION_WORDS})\.$", before):
            continue
        if before.strip():
            out.append(before.strip())
        start = m.end()
    if text[start:].strip():
        out.append(text[start:].strip())
    return out


def _spans(tokens: list[str]) -> set[tuple[int, int]]:
    spans, start = set(), 0
    for token in tokens:
        spans.add((start, start + len(token)))
        start += len(token)
    return spans


def agreement(pairs: list[tuple[str, list[str]]]) -> dict[str, float]:
    """Agreement of `tokenize(text)` with gold tokens over `(text, gold_tokens)` pairs.

    Tokens are compared as character spans of the text with spaces removed, so one wrong split
    costs only the tokens it touches: `token_recall` = gold tokens reproduced exactly,
    `token_precision` = predicted tokens that are gold, `sentence_exact` = sentences fully right.
    """
    hit = gold_n = pred_n = exact = 0
    for text, gold in pairs:
        pred = tokenize(text)
        g, p = _spans(gold), _spans(pred)
        hit += len(g & p)
        gold_n += len(g)
        pred_n += len(p)
        exact += pred == list(gold)
    return {
        "sentences": len(pairs),
        "gold_tokens": gold_n,
        "token_recall": hit / max(gold_n, 1),
        "token_precision": hit / max(pred_n, 1),
        "sentence_exact": exact / max(len(pairs), 1),
    }
