"""`scripts/etymology_mudt_check.py`: the new-document check reads only documents the annotations lack,
and its shares count what they say."""

import importlib.util
from pathlib import Path

from curate.formats.conllu import ConlluSentence
from curate.maltese.resources import read_annotations

REPO = Path(__file__).resolve().parent.parent


def load_check():
    spec = importlib.util.spec_from_file_location("etymology_mudt_check", REPO / "scripts" / "etymology_mudt_check.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def row(form: str, upos: str, xpos: str) -> dict:
    return {"form": form, "upos": upos, "xpos": xpos}


def test_check_sentences_come_only_from_documents_without_annotations():
    check = load_check()
    annotations = read_annotations()
    sentences = check.check_sentences(annotations)
    documents = {s.sent_id.partition(":")[0] for s in sentences}
    annotated = {"02_02J01", "04_04J01", "06_06J01", "08_08J01", "11_11J01", "17_04J02", "30_01P05", "38_02P06"}
    assert len(sentences) == 1618
    assert not documents & annotated
    assert len(documents) == 39  # MUDT train beyond the annotations, dev and test, by document


def test_shares_count_each_kind_and_unseen_forms_only_once_seen_is_known():
    check = load_check()
    sentence = ConlluSentence("d:1", "", 1, rows=[
        row("Joe", "PROPN", "PROPN"), row("Borg", "PROPN", "PROPN"), row("the", "X", "X_ENG"),
        row("dar", "NOUN", "NOUN"), row("kbira", "ADJ", "ADJ"), row(".", "PUNCT", "X_PUN"),
    ])
    labels = ["Name", "Non-Arabic", "Code-Switching", "Arabic", "Name", "Symbol"]
    out = check.score([sentence], [labels], known={"joe", "dar"})
    assert out["all"]["propn_as_name"] == 0.5
    assert out["all"]["eng_as_cs"] == 1.0
    assert out["all"]["other_as_name"] == 0.5 and out["all"]["other_as_cs"] == 0.0
    assert out["all"]["tokens"] == {"eng": 1, "other": 2, "propn": 2, "tagged_x": 1}
    # `Joe` and `dar` are known forms: the unseen shares leave them out
    assert out["unseen"]["propn_as_name"] == 0.0
    assert out["unseen"]["other_as_name"] == 1.0
    assert out["unseen"]["tokens"] == {"eng": 1, "other": 1, "propn": 1, "tagged_x": 1}
