"""Moses punctuation normalisation, tokenisation and detokenisation (sacremoses 0.2.0).

sacremoses has nonbreaking-prefix lists for 39 languages only (not mt, ky, ug, tr, ...) and silently uses
the English list for any other. `MosesTokenize` instead uses the caller's file (`nonbreaking_prefixes_file`),
an explicit `fallback_lang`'s list, or none at all, warns once per process, and records it in `prefix_source`.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

from sacremoses import MosesDetokenizer, MosesPunctNormalizer, MosesTokenizer
from sacremoses.corpus import NonbreakingPrefixes

from curate.errors import CurateError
from curate.transforms.base import Transform

_WARNED: set[str] = set()
# Maltese apostrophes belong to words (ta', f'idejh, jittella', 'il, 'l), but Moses splits every apostrophe
# outside en/fr/it/ga/ca, and then its detokenizer pairs them up like quotes (ta 'Inkjesta). We swap such
# apostrophes for a letter-like placeholder absent from the text while tokenising, then swap back.
_WORD_APOSTROPHE = re.compile(r"(?<=[^\W\d_])'|(?<![\w'])'(?=(?:il|l)\b)", re.IGNORECASE)
_PLACEHOLDERS = ("\u02bc", "\ua78c", "\u02bb")  # modifier letter apostrophe, saltillo, turned comma


def _warn_once(key: str, message: str) -> None:
    if key not in _WARNED:  # once per process, however many tokenizers (or datatrove tasks) are built
        _WARNED.add(key)
        warnings.warn(message, UserWarning, stacklevel=4)


def _nonbreaking_prefixes(lang: str, path: str | Path | None, fallback: str | None) -> tuple[list[str] | None, str]:
    """The prefix list for `lang` (None: sacremoses' own list) and a note of where it came from."""
    known = NonbreakingPrefixes().available_langs
    if path is not None:
        if not Path(path).is_file():
            raise CurateError(f"{path}: nonbreaking-prefix file not found (one prefix per line, # comments)")
        lines = (line.strip() for line in Path(path).read_text(encoding="utf-8").splitlines())
        return list(dict.fromkeys(x for x in lines if x and not x.startswith("#"))), f"file:{path}"
    if lang in known:
        return None, f"sacremoses:{lang}"
    if fallback is not None:
        if fallback not in known:
            raise CurateError(f"fallback_lang {fallback!r} has no sacremoses prefixes either; "
                              f"languages with prefixes: {', '.join(sorted(set(known.values())))}")
        _warn_once(f"{lang}>{fallback}", f"sacremoses has no nonbreaking prefixes for {lang!r}; using {fallback!r}")
        return list(NonbreakingPrefixes().words(fallback)), f"sacremoses:{fallback} (fallback for {lang})"
    _warn_once(lang, f"sacremoses has no nonbreaking prefixes for {lang!r}; tokenising without any "
                     "(pass nonbreaking_prefixes_file=... or fallback_lang=...)")
    return [], "none"


class MosesNormalizer(Transform):
    """Moses punctuation normalisation of `record[field]` into `record[output_field]` (default: in place)."""

    name = "moses_normalize"

    def __init__(self, lang: str = "en", field: str = "text", output_field: str | None = None,
                 pre_replace_unicode_punct: bool = False, post_remove_control_chars: bool = False) -> None:
        super().__init__()
        self.field, self.output_field = field, output_field or field
        self.normalizer = MosesPunctNormalizer(lang=lang, pre_replace_unicode_punct=pre_replace_unicode_punct,
                                               post_remove_control_chars=post_remove_control_chars)

    def apply(self, record: dict) -> dict:
        return {**record, self.output_field: self.normalizer.normalize(record[self.field])}


class MosesTokenize(Transform):
    """Tokenise `record[field]` into a list of tokens in `record[output_field]` (a string if `join=True`).

    `escape=False` by default: records are not Moses XML, so `&` stays `&` (sacremoses defaults to `&amp;`).
    `word_apostrophes` (default: on for `mt`) keeps apostrophes after a letter and in 'il/'l inside the word.
    """

    name = "moses_tokenize"

    def __init__(self, lang: str = "en", field: str = "text", output_field: str = "tokens", *,
                 nonbreaking_prefixes_file: str | Path | None = None, fallback_lang: str | None = None,
                 aggressive_dash_splits: bool = False, escape: bool = False, join: bool = False,
                 word_apostrophes: bool | None = None) -> None:
        super().__init__()
        self.word_apostrophes = lang == "mt" if word_apostrophes is None else word_apostrophes
        self.lang, self.field, self.output_field = lang, field, output_field
        self.aggressive_dash_splits, self.escape, self.join = aggressive_dash_splits, escape, join
        prefixes, self.prefix_source = _nonbreaking_prefixes(lang, nonbreaking_prefixes_file, fallback_lang)
        self.tokenizer = MosesTokenizer(lang=lang)
        if prefixes is not None:  # set after construction: sacremoses would have loaded English here
            self.tokenizer.NONBREAKING_PREFIXES = prefixes
            numeric_only = [p for p in prefixes if self.tokenizer.has_numeric_only(p)]
            self.tokenizer.NUMERIC_ONLY_PREFIXES = [p.rpartition(" ")[0] for p in numeric_only]

    def apply(self, record: dict) -> dict:
        text = str(record[self.field])
        holder = next((c for c in _PLACEHOLDERS if c not in text), None) if self.word_apostrophes else None
        if holder is not None:
            text = _WORD_APOSTROPHE.sub(holder, text)
        elif self.word_apostrophes:
            self.count("word_apostrophes_not_protected")  # the text already holds every placeholder
        tokens = self.tokenizer.tokenize(text, aggressive_dash_splits=self.aggressive_dash_splits, escape=self.escape)
        if holder is not None:
            tokens = [t.replace(holder, "&apos;" if self.escape else "'") for t in tokens]
        return {**record, self.output_field: " ".join(tokens) if self.join else tokens}


class MosesDetokenize(Transform):
    """Detokenise `record[field]` (a token list or a space-separated string) into `record[output_field]`."""

    name = "moses_detokenize"

    def __init__(self, lang: str = "en", field: str = "tokens", output_field: str = "text",
                 unescape: bool = False) -> None:
        super().__init__()
        self.field, self.output_field, self.unescape = field, output_field, unescape
        self.detokenizer = MosesDetokenizer(lang=lang)

    def apply(self, record: dict) -> dict:
        tokens = record[self.field]
        tokens = tokens.split() if isinstance(tokens, str) else list(tokens)
        return {**record, self.output_field: self.detokenizer.detokenize(tokens, unescape=self.unescape)}
