"""The MUDT-style tokeniser: agreement with MUDT's gold tokens on its own sentence texts."""

from curate.formats.conllu import read_conllu
from curate.maltese.etymology.tokenize import agreement, split_sentences, tokenize
from curate.maltese.resources import MUDT_DIR, MUDT_SPLITS


def test_agreement_with_mudt_gold_tokens_is_at_least_99_percent_on_every_split():
    total = []
    for split, name in MUDT_SPLITS.items():
        pairs = [(s.text, s.tokens) for s in read_conllu(MUDT_DIR / name)]
        total += pairs
        scores = agreement(pairs)
        assert scores["token_recall"] >= 0.99, (split, scores)
        assert scores["token_precision"] >= 0.99, (split, scores)
    overall = agreement(total)
    assert overall["sentences"] == 2074 and overall["gold_tokens"] == 44162
    assert overall["token_recall"] >= 0.999 and overall["sentence_exact"] >= 0.99


def test_articles_clitics_and_punctuation_are_separate_tokens():
    text = "F'dil-kamra l-Onor. Borg qal: \"Il-Gvern ta' Malta għall-ewwel darba b'xi 40,000 ewro\"."
    assert tokenize(text) == [
        "F'", "dil-", "kamra", "l-", "Onor", ".", "Borg", "qal", ":", '"', "Il-", "Gvern", "ta'", "Malta",
        "għall-", "ewwel", "darba", "b'", "xi", "40,000", "ewro", '"', ".",
    ]
    # word-internal hyphens that are not articles stay, as in MUDT
    assert tokenize("Sa-marin is-sado-mażokisti") == ["Sa-marin", "is-", "sado-mażokisti"]
    assert tokenize("Dr. Borg fl-14-il sena 'l fuq") == ["Dr.", "Borg", "fl-", "14-il", "sena", "'l", "fuq"]


def test_sentence_splitter_keeps_abbreviations():
    assert split_sentences("Il-Qorti qalet hekk. Dr. Borg wieġeb! \"Le,\" qal hu.") == [
        "Il-Qorti qalet hekk.", "Dr. Borg wieġeb!", '"Le," qal hu.',
    ]
