"""User mistakes are CurateErrors (clean CLI message, exit 2), never bare ValueError/RuntimeError tracebacks."""

from __future__ import annotations

import gc

import pytest

from curate.cli import main
from curate.errors import BuilderDefinitionError, CurateError, OptionError


def _transliterator_candidates():
    from curate.maltese.transforms.transliterate import Transliterator

    Transliterator(mode="candidates")


def _transliterator_two_keys():
    from curate.maltese.transforms.transliterate import Transliterator

    Transliterator(tokens_key="tokens", text_key="text")


def _engine_zero_candidates():
    from curate.maltese.transliteration.engine import MalteseTransliterator

    MalteseTransliterator(max_candidates=0)


def _ngram_order_zero():
    from curate.maltese.transliteration.ranker import CharNgramLM

    CharNgramLM(order=0)


def _one_fold():
    from curate.maltese.etymology.evaluate import fold_assignment

    fold_assignment([["a"], ["b"], ["c"]], folds=1, seed=0, grouped=False)


def _unknown_masking_strategy():
    from curate.transforms.masking import EntityMasker

    EntityMasker(tokenizer=None, strategy="bogus")


@pytest.mark.parametrize(("make", "message"), [
    (_transliterator_candidates, "writes one output per token"),
    (_transliterator_two_keys, "exactly one of tokens_key"),
    (_engine_zero_candidates, "max_candidates must be at least 1, got 0"),
    (_ngram_order_zero, "n-gram order must be at least 1, got 0"),
    (_one_fold, "--folds: need 2 <= folds <= 3 sentences, got 1"),
    (_unknown_masking_strategy, "unknown masking strategy 'bogus'"),
])
def test_bad_arguments_raise_option_errors(make, message):
    with pytest.raises(OptionError, match=message) as err:
        make()
    assert isinstance(err.value, CurateError) and isinstance(err.value, ValueError)  # old `except ValueError` holds


def test_two_builders_with_one_name_is_a_builder_definition_error():
    from curate.builder import Builder
    from curate.registry import all_builders

    all_builders.cache_clear()
    twins = [type(n, (Builder,), {"name": "twin-dataset"}) for n in ("First", "Second")]
    try:
        with pytest.raises(BuilderDefinitionError, match="two builders named 'twin-dataset'"):
            all_builders()
    finally:
        del twins
        gc.collect()  # drops the two classes from Builder.__subclasses__()
        all_builders.cache_clear()
    assert "twin-dataset" not in all_builders()


@pytest.mark.parametrize(("argv", "message"), [
    (["tag", "--batch-tokens", "0"], "argument --batch-tokens: must be at least 1, got 0"),
    (["etymology", "eval", "--folds", "1"], "argument --folds: must be at least 2, got 1"),
    (["etymology", "eval", "--jobs", "0"], "argument --jobs: must be at least 1, got 0"),
    (["etymology", "train", "--out", "x", "--max-sentences", "-3"], "argument --max-sentences: must be at least 1"),
])
def test_cli_numbers_out_of_range_are_refused_before_running(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2 and message in capsys.readouterr().err


def test_slurm_time_is_checked_before_anything_is_written(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["build", "eurlex-sum", "--sample", "--out", str(tmp_path / "out"), "--slurm-time", "1day"])
    assert "expected a Slurm time limit such as 24:00:00" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.fixture(scope="module")
def clef_build(tmp_path_factory):
    out = tmp_path_factory.mktemp("clef")
    assert main(["build", "clef-queries", "--sample", "--no-progress", "--config", "qrels", "--out", str(out)]) == 0
    return out


@pytest.mark.parametrize(("argv", "message"), [
    (["--format", "qrels", "--language", "zz"], "no qrels in"),  # used to write an empty file, exit 0
    (["--format", "qrels", "--split", "bogus"], "argument --split: invalid choice: 'bogus'"),
    (["--format", "qrels", "--collection", "clef1999"], "argument --collection: invalid choice: 'clef1999'"),
])
def test_export_filters_that_match_nothing_are_errors(clef_build, capsys, argv, message):
    try:
        code = main(["export", "clef-queries", str(clef_build), *argv])
    except SystemExit as exc:
        code = exc.code
    assert code == 2 and message in capsys.readouterr().err


def test_an_unimportable_extra_builder_module_is_named(monkeypatch, capsys):
    from curate.registry import all_builders

    monkeypatch.setenv("CURATE_EXTRA_BUILDERS", "no_such_builder_module")
    all_builders.cache_clear()
    try:
        assert main(["list"]) == 2
    finally:
        all_builders.cache_clear()
    assert "CURATE_EXTRA_BUILDERS names 'no_such_builder_module', which cannot be imported" in capsys.readouterr().err
