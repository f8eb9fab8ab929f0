"""Importable preprocessing transforms: `from curate.transforms import MosesNormalizer, EtymologyTagger, ...`.

Every transform shares one interface (`curate.transforms.base.Transform`): call it on a record, pass
`transform.batch` to `datasets.Dataset.map(batched=True)`, or put `transform.as_datatrove_step()` in a
datatrove pipeline. Names resolve lazily so importing one transform never loads torch for another.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Transform": "curate.transforms.base",
    "TransformStep": "curate.transforms.datatrove_step",
    "MosesNormalizer": "curate.transforms.moses",
    "MosesTokenize": "curate.transforms.moses",
    "MosesDetokenize": "curate.transforms.moses",
    "LanguageIdentifier": "curate.transforms.langid",
    "LanguageFilter": "curate.transforms.langid",
    "LengthFilter": "curate.transforms.filters",
    "ScriptFilter": "curate.transforms.filters",
    "EtymologyTagger": "curate.maltese.transforms.etymology",
    "Transliterator": "curate.maltese.transforms.transliterate",
    "ConditionalPipeline": "curate.maltese.transforms.pipelines",
    "PIPELINE_PRESETS": "curate.maltese.transforms.pipelines",
    "EntityMasker": "curate.transforms.masking",
    "Seq2SeqTranslator": "curate.transforms.translate",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"curate.transforms has no {name!r}; available: {', '.join(__all__)}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
