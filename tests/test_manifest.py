"""`curate/manifest.py`: one typed `Manifest` read by the build, the card, `curate push` and `curate export`.

Unknown keys survive every reader and writer; a file that is not a curate manifest gets one error naming it,
whoever reads it; the card rendered from the typed manifest is the card the dict-based code rendered
(`tests/manifest_golden/README.md`, written by the code before the type reached the card)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from curate.cli import main
from curate.errors import CurateError, InputFormatError
from curate.io import write_json_atomic
from curate.manifest import MANIFEST, Manifest

GOLDEN = Path(__file__).resolve().parent / "manifest_golden"
BUILD = ["build", "test-slow-counting", "--no-progress"]


@pytest.fixture(autouse=True)
def _few_units(slow_env, monkeypatch):
    monkeypatch.setenv("SLOW_UNITS", "2")  # a build of test-slow-counting in about a second


@pytest.fixture
def out(slow_env) -> Path:
    out = slow_env / "out"
    assert main([*BUILD, "--out", str(out)]) == 0
    return out


def test_the_golden_card_from_the_typed_manifest():
    from slow_builder import SlowCounting

    from curate.card import render_card

    golden = (GOLDEN / "README.md").read_text(encoding="utf-8")
    plots = {"default": ["images/default.png"], "other": []}
    manifest = Manifest.read(GOLDEN / MANIFEST)
    assert render_card(SlowCounting(), manifest, plots=plots) == golden
    # a manifest still being filled (finalize's) lists its configs in insertion order: the card keeps name order
    data = json.loads((GOLDEN / MANIFEST).read_text())
    data["configs"] = dict(reversed(list(data["configs"].items())))
    unsorted = Manifest.from_json(data)
    assert list(unsorted.configs) == ["other", "default"]
    assert render_card(SlowCounting(), unsorted, plots=plots) == golden
    # and it is saved in name order, with the unknown keys where they were
    assert list(unsorted.to_json()["configs"]) == ["default", "other"]
    assert unsorted.to_json() == json.loads((GOLDEN / MANIFEST).read_text())


def test_unknown_keys_round_trip_through_build_card_and_push_planning(out, capsys):
    from curate.card import rewrite_card
    from curate.hub import plan_upload, push

    path = out / MANIFEST
    data = json.loads(path.read_text())
    data["zz_future"] = {"written by": "a newer curate", "list": [1, 2]}
    data["configs"]["default"]["future_entry_key"] = ["kept"]
    data["sample"] = True
    write_json_atomic(path, data)
    written = path.read_bytes()

    manifest = Manifest.read(path)
    assert manifest.extra == {"zz_future": data["zz_future"]} and manifest.builder == "test-slow-counting"
    assert manifest.configs["default"]["future_entry_key"] == ["kept"]
    card = (out / "README.md").read_bytes()
    rewrite_card(out)
    assert (out / "README.md").read_bytes() == card  # the card is the build's, unknown keys or not
    plan = plan_upload(out)
    assert plan.manifest == manifest and plan.manifest.to_json() == data
    assert any(f.path_in_repo == MANIFEST and f.local_path == path for f in plan.files)  # sent as it is on disk
    assert push(out, "me/ds", dry_run=True, say=print) is None
    assert "note: this is a --sample build (bundled fixtures only)" in capsys.readouterr().out  # from the type
    plan.manifest.save(out)
    assert path.read_bytes() == written

    # a build of another config rewrites the manifest through `Manifest.load`: nothing unknown is lost
    assert main([*BUILD, "--config", "other", "--out", str(out)]) == 0
    after = json.loads(path.read_text())
    assert after["zz_future"] == data["zz_future"] and set(after["configs"]) == {"default", "other"}
    assert after["sample"] is False  # a known key: the new build's
    assert after["configs"]["default"] == data["configs"]["default"]


MALFORMED = {
    "not JSON": ("{\"builder\": \"test-slow-counting\",\n  \"configs\": {", r"manifest\.json:2: not a curate "
                                                                           r"manifest: not JSON"),
    "no configs": ('{"builder": "test-slow-counting", "version": "0.1.0"}', r"manifest\.json: not a curate "
                                                                            r"manifest: no 'configs' key"),
    "no builder": ('{"configs": {}}', r"manifest\.json: not a curate manifest: no 'builder' key"),
    "a list": ("[]", r"manifest\.json: not a curate manifest: a JSON list, not an object"),
    "shard without sha256": (None, r"configs\.default\.splits\.test\.shards\[0\] lacks or mistypes sha256"),
}


def _break(out: Path, case: str) -> Path:
    path = out / MANIFEST
    text = MALFORMED[case][0]
    if text is None:
        data = json.loads(path.read_text())
        del data["configs"]["default"]["splits"]["test"]["shards"][0]["sha256"]
        text = json.dumps(data)
    path.write_text(text)
    return path


@pytest.mark.parametrize("case", list(MALFORMED))
def test_a_malformed_manifest_is_named_by_every_reader(out, case, capsys):
    from curate.card import rewrite_card
    from curate.hub import plan_upload

    card = (out / "README.md").read_bytes()
    path = _break(out, case)
    message = MALFORMED[case][1]
    for read in (lambda: Manifest.read(path), lambda: Manifest.load(out), lambda: plan_upload(out),
                 lambda: rewrite_card(out)):
        with pytest.raises(InputFormatError, match=message) as caught:
            read()
        assert caught.value.path == str(path)
    assert (out / "README.md").read_bytes() == card  # the card writer stopped before writing anything
    capsys.readouterr()
    # the commands: one line on stderr naming the file, status 2, no traceback
    for argv in (["push", str(out), "me/ds", "--dry-run"], [*BUILD, "--out", str(out)],
                 ["export", "clef-queries", str(out), "--format", "trec"]):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert str(path) in err and "not a curate manifest" in err and "Traceback" not in err, (argv, err)


def test_export_refuses_the_build_of_another_builder(out, capsys):
    assert main(["export", "clef-queries", str(out), "--format", "trec"]) == 2
    assert f"{out / MANIFEST}: {out} holds a build of 'test-slow-counting', not of 'clef-queries'" in \
        capsys.readouterr().err


def test_rewrite_card_needs_a_finished_build_of_its_builder(out, tmp_path):
    from curate.card import rewrite_card
    from curate.registry import get_builder

    with pytest.raises(CurateError, match=r"is not a finished curate build: manifest\.json is missing"):
        rewrite_card(tmp_path / "empty")
    with pytest.raises(CurateError, match=r"a build of 'test-slow-counting', not of 'clef-queries'"):
        rewrite_card(out, get_builder("clef-queries"))


def test_from_json_checks_what_readers_index():
    good = json.loads((GOLDEN / MANIFEST).read_text())
    assert Manifest.from_json(good).to_json() == good
    for mutate, problem in [
        (lambda d: d.update(builder=3), "'builder' is not a string"),
        (lambda d: d.update(configs=[]), "'configs' is not an object"),
        (lambda d: d["configs"].update(other=None), "configs.other is not an object"),
        (lambda d: d["configs"]["other"].pop("splits"), "configs.other.splits is missing or not an object"),
        (lambda d: d["configs"]["other"]["splits"]["test"].update(rows=True), "configs.other.splits.test needs"),
        (lambda d: d["configs"]["other"]["splits"]["test"]["shards"].append("x"), r"shards[1] is not an object"),
        (lambda d: d["configs"]["other"]["splits"]["test"]["shards"][0].update(bytes="9"), "mistypes bytes"),
    ]:
        data = json.loads(json.dumps(good))
        mutate(data)
        with pytest.raises(InputFormatError, match=r"^somewhere/manifest\.json: not a curate manifest: "):
            Manifest.from_json(data, "somewhere/manifest.json")
        with pytest.raises(InputFormatError) as caught:
            Manifest.from_json(data)
        assert problem in str(caught.value)
