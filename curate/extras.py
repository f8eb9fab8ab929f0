"""Optional dependencies: which pip extra brings which module, and one clear error when it is missing.

torch and transformers are the `maltese` extra: the etymology tagger (the `maltese-*` builders, `curate tag`,
`curate etymology`) and the optional MT step (`Seq2SeqTranslator`) need them; nothing else imports them, so
`pip install curate` builds eurlex-sum, entity-cs and clef-queries without several GB of wheels."""

from __future__ import annotations

import importlib

from curate.errors import MissingExtraError

EXTRA_OF = {"torch": "maltese", "transformers": "maltese"}


def missing_extra(exc: ImportError, what: str) -> MissingExtraError | None:
    """The clear error for `exc` when it is an optional module that is not installed, else None."""
    top = (getattr(exc, "name", None) or "").split(".")[0]
    return MissingExtraError(what, top, EXTRA_OF[top]) if top in EXTRA_OF else None


def require(what: str, modules: tuple[str, ...] = ("torch", "transformers")) -> None:
    """Import `modules` now, so that `what` fails with `MissingExtraError` (naming the pip extra) before any
    work starts rather than with a traceback halfway through it."""
    for module in modules:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            missing = missing_extra(exc, what)
            if missing is None:
                raise
            raise missing from None
