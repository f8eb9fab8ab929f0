"""Which source document each annotated sentence comes from (for leave-one-document-out evaluation).

`annotations.tsv` carries only a sentence index (`id`). Its 439 sentences are the first 439 sentences of
UD_Maltese-MUDT `mt_mudt-ud-train.conllu`, token for token, in file order. MUDT has no `# newdoc`
comments, but every `# sent_id` is `<document>:<sentence number>` (`02_02J01:1`, `30_01P05:17`), so the
document of annotation i is the part before `:` of the i-th MUDT train sentence id. The annotations span
8 documents: six newspaper files (`02_02J01`, `04_04J01`, `06_06J01`, `08_08J01`, `11_11J01`, `17_04J02`)
and two parliamentary ones (`30_01P05`, 219 sentences; `38_02P06`, 58). No duplicate sentence crosses
two documents, so leave-one-document-out needs no extra grouping.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from curate.errors import CurateError
from curate.formats.conllu import read_conllu
from curate.maltese.resources import MUDT_DIR, MUDT_SPLITS


def annotation_documents(sentences: Sequence[Sequence[str]], conllu: str | Path | None = None) -> list[str]:
    """MUDT document id of every annotated sentence; refuses when the sentences are not MUDT's first ones."""
    path = Path(conllu) if conllu else MUDT_DIR / MUDT_SPLITS["train"]
    out: list[str] = []
    mudt = read_conllu(path)
    for i, tokens in enumerate(sentences):
        sentence = next(mudt, None)
        if sentence is None:
            raise CurateError(f"{path}: has only {i} sentences, the annotations have {len(sentences)}")
        if list(sentence.tokens) != list(tokens):
            raise CurateError(f"{path}:{sentence.line}: sentence {sentence.sent_id!r} differs from annotated "
                              f"sentence {i}; documents are derived from MUDT train order")
        document, sep, _ = sentence.sent_id.partition(":")
        if not sep or not document:
            raise CurateError(f"{path}:{sentence.line}: sent_id {sentence.sent_id!r} is not '<document>:<n>'")
        out.append(document)
    return out
