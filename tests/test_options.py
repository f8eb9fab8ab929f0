"""Typed builder options (curate/options.py): flags, checks before anything is written, fingerprint."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from curate.cli import main
from curate.errors import OptionError
from curate.options import BuilderOptions, describe, fingerprint, option, parse_args, resolve
from curate.registry import all_builders


@dataclass(frozen=True)
class Toy(BuilderOptions):
    languages: tuple[str, ...] = option(("en", "de"), help="langs", choices=("en", "de", "fr"), csv=True)
    seed: int = option(0, help="seed", minimum=0)
    dump: tuple[Path, ...] = option((), help="dumps", exists="file")
    mul_fallback: bool = option(True, help="use mul labels")
    model: str | None = option(None, help="model")

    def check(self) -> None:
        if self.model == "bad":
            raise OptionError("--model bad is refused")


def test_flags_are_generated_typed_and_checked(tmp_path):
    dump = tmp_path / "d.xml"
    dump.write_text("x")
    got = parse_args(Toy, ["--languages", " fr,en,fr ", "--seed", "3", "--no-mul-fallback", "--dump", str(dump)],
                     "curate build toy")
    assert got == Toy(languages=("fr", "en"), seed=3, dump=(dump,), mul_fallback=False)
    assert isinstance(got.seed, int) and got.dump == (dump,)
    assert parse_args(Toy, [], "p") == Toy() and Toy().languages == ("en", "de")
    assert Toy(languages="none").languages == () and Toy(languages=["de"]).languages == ("de",)
    with pytest.raises(dataclasses.FrozenInstanceError):
        got.seed = 4  # type: ignore[misc]


@pytest.mark.parametrize(("argv", "message"), [
    (["--languages", "en,zz,yy"], "--languages: unknown values 'zz', 'yy'; valid values: en, de, fr"),
    (["--seed", "-1"], "--seed must be at least 0, got -1"),
    (["--seed", "x"], "--seed: expected an integer, got 'x'"),
    (["--dump", "/nonexistent/d.xml"], "--dump: no such file /nonexistent/d.xml"),
    (["--bogus", "1"], "unrecognised option(s) --bogus 1 for p; its own options: --languages, --seed, --dump, "
                       "--no-mul-fallback, --model"),
    (["--seed"], "argument --seed: expected one argument"),
    (["--model", "bad"], "--model bad is refused"),
])
def test_every_mistake_is_an_option_error_naming_the_flag(argv, message):
    with pytest.raises(OptionError) as err:
        parse_args(Toy, argv, "p")
    assert message in str(err.value)


def test_python_callers_get_the_same_checks_and_a_stable_fingerprint():
    with pytest.raises(OptionError, match="unknown value 'zz'"):
        Toy(languages=("en", "zz"))
    with pytest.raises(OptionError, match="unknown option\\(s\\) lang; valid: dump, languages"):
        resolve(Toy, {"lang": "en"})
    assert resolve(Toy, {"seed": "2", "model": None}) == Toy(seed=2)
    assert fingerprint(Toy(seed=2)) == {"languages": ["en", "de"], "seed": 2, "dump": [], "mul_fallback": True,
                                        "model": None}
    row = {o["name"]: o for o in describe(Toy)}
    assert row["languages"] == {"name": "languages", "flag": "--languages", "type": "list[str]",
                                "default": ["en", "de"], "choices": ["en", "de", "fr"], "comma_list": True,
                                "minimum": None, "must_exist": None, "help": "langs"}
    assert row["mul_fallback"]["flag"] == "--no-mul-fallback" and row["model"]["type"] == "str | None"


@pytest.mark.parametrize("name", sorted(all_builders()))
def test_every_builder_declares_a_frozen_options_dataclass(name):
    cls = all_builders()[name]
    assert issubclass(cls.Options, BuilderOptions) and cls.Options.__dataclass_params__.frozen
    assert not hasattr(cls, "extra_build_options")
    assert parse_args(cls.Options, [], f"curate build {name}") == cls.Options()
    json.dumps(describe(cls.Options))


def test_a_typo_in_an_option_leaves_the_output_folder_untouched(tmp_path, capsys):
    """Issue 11 item 7: `--languages en,zz` used to record its settings first, so the corrected command was
    refused until --overwrite. Now it fails before --out exists, and the corrected command just runs."""
    out = tmp_path / "build"
    assert main(["build", "eurlex-sum", "--sample", "--no-progress", "--languages", "en,zz", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--languages: unknown value 'zz'; valid values: bg, cs, da" in err and "Traceback" not in err
    assert not out.exists()
    assert main(["build", "eurlex-sum", "--sample", "--no-progress", "--languages", "en", "--out", str(out)]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["configs"]["en"]["fingerprint"]["options"] == {"languages": ["en"], "split_ids": False}
    # other settings are refused, the same ones are recognised as done
    assert main(["build", "eurlex-sum", "--sample", "--no-progress", "--split-ids", "--out", str(out)]) == 2
    assert "other settings" in capsys.readouterr().err
    assert main(["build", "eurlex-sum", "--sample", "--no-progress", "--languages", "en", "--out", str(out)]) == 0
    assert "already holds a complete build" in capsys.readouterr().out


@pytest.mark.parametrize(("extra", "message"), [
    (["--workers", "0"], "--workers must be at least 1, got 0"),
    (["--max-examples", "-5"], "--max-examples must be 0 or more (left out: all rows), got -5"),
    (["--manual-dir", "/nonexistent/clef"], "--manual-dir /nonexistent/clef: no such folder"),
    (["--num-translations", "0"], "--num-translations must be at least 1, got 0"),
    (["--dump", "/nonexistent/enwiki.xml.bz2"], "--dump: no such file /nonexistent/enwiki.xml.bz2"),
    (["--languages", "de,xx"], "--languages: unknown value 'xx'"),
])
def test_generic_and_builder_flags_fail_cleanly_before_writing(tmp_path, capsys, extra, message):
    out = tmp_path / "build"
    assert main(["build", "entity-cs", "--sample", "--no-progress", "--out", str(out), *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not out.exists()


def test_out_that_is_a_file_is_refused(tmp_path, capsys):
    out = tmp_path / "file"
    out.write_text("not a folder")
    assert main(["build", "maltese-etymology", "--sample", "--out", str(out)]) == 2
    assert f"--out {out} is a file, not a folder" in capsys.readouterr().err
    assert out.read_text() == "not a folder"


def test_the_builder_receives_its_typed_options(tmp_path):
    from curate.builders.eurlex_sum import EurLexSum
    from curate.builders.eurlex_sum.options import EurLexOptions
    from curate.checks import checked_build_options
    from curate.run import BuildOptions, make_context

    builder = EurLexSum()
    opts = checked_build_options(builder, BuildOptions(out_dir=tmp_path, options={"languages": "de,en"}))
    ctx = make_context(builder, builder.config("xling"), opts)
    assert ctx.options == EurLexOptions(languages=("de", "en"))
    assert builder._languages(ctx) == ["de", "en"]  # config order, restricted to the chosen ones


def test_build_help_with_a_name_lists_the_builder_flags(capsys):
    assert main(["build", "clef-queries", "--help"]) == 0
    out = capsys.readouterr().out
    assert "execution:" in out and "inputs and network:" in out  # the generic flags, by concern
    assert "clef-queries flags (its Options dataclass):" in out
    assert "--mt-batch-size" in out and "rows per MT batch (default 32)" in out
    assert main(["build", "eurlex-sum"]) == 2
    assert "give the builder name and --out" in capsys.readouterr().err


@dataclass(frozen=True)
class NeedyOptions(BuilderOptions):
    source: str = option("missing", help="which input to read")


def test_a_refused_prepare_does_not_pin_the_settings(tmp_path):
    """Settings are recorded before `prepare` looks for its inputs; when it refuses (a missing manual file), no
    unit is finished, so the corrected command, with other options, runs without --overwrite."""
    import gc

    import datasets

    from curate.build import build
    from curate.builder import Builder, BuilderConfig
    from curate.errors import ManualDownloadError
    from curate.run import BuildOptions

    class Needy(Builder):
        name = "test-needy"
        configs = [BuilderConfig("default")]
        Options = NeedyOptions

        def features(self, config):
            return datasets.Features({"id": datasets.Value("string")})

        def prepare(self, ctx):
            if ctx.options.source == "missing":
                raise ManualDownloadError("missing manual file source.txt")

        def generate(self, unit, ctx):
            yield ctx.config.name, "train", {"id": ctx.options.source}

    all_builders.cache_clear()
    try:
        out = tmp_path / "out"
        with pytest.raises(ManualDownloadError):
            build(Needy(), None, BuildOptions(out_dir=out, progress=False))
        result = build(Needy(), None, BuildOptions(out_dir=out, progress=False, options={"source": "given"}))
        assert result["status"] == "built"
        assert datasets.load_from_disk(str(out / "default"))["train"]["id"] == ["given"]
    finally:
        del Needy
        gc.collect()
        all_builders.cache_clear()


def test_a_builder_flag_may_not_shadow_a_generic_one():
    import argparse

    from curate.commands import build as build_command
    from curate.errors import BuilderDefinitionError

    sub = argparse.ArgumentParser().add_subparsers()
    build_command.register(sub)
    parser = sub.choices["build"]

    @dataclass(frozen=True)
    class Clashing(BuilderOptions):
        workers: int = option(1, help="shadows --workers")

    class FakeBuilder:
        name, Options = "clashing", Clashing

    with pytest.raises(BuilderDefinitionError, match="--workers clash with curate build's own flags"):
        build_command._builder_options(FakeBuilder(), [], parser)
    for cls in all_builders().values():  # and no registered builder does
        build_command._builder_options(cls(), [], parser)
