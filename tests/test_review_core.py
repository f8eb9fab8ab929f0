"""Adversarial review of the core build path (issue 2). Each test reproduces one bug: it fails today
only because of that bug and states the behaviour the spec asks for."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import datasets
import pytest
from conftest import REPO

from curate.cli import main
from curate.errors import CurateError, SchemaError
from curate.shards import ArrowShardWriter, hf_schema
from curate.staging import Staging

TESTS = REPO / "tests"
BUILD = ["build", "test-slow-counting", "--no-progress"]


@pytest.fixture(autouse=True)
def private_hf_cache(monkeypatch, tmp_path):
    """load_dataset caches under ~/.cache/huggingface; isolate it so one test never reads another's data."""
    import datasets.config

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf-cache")


def _manifest_matches_files(out) -> list[str]:
    """Shards the manifest lists whose file is missing or has other bytes."""
    manifest = json.loads((out / "manifest.json").read_text())
    bad = []
    for entry in manifest["configs"].values():
        for split in entry["splits"].values():
            for shard in split["shards"]:
                path = out / shard["path"]
                if not path.exists() or hashlib.sha256(path.read_bytes()).hexdigest() != shard["sha256"]:
                    bad.append(shard["path"])
    return bad


# ---- resume / --overwrite: the manifest must never describe files that are not there ----------------

def test_failed_overwrite_rebuild_is_not_reported_as_complete(slow_env, monkeypatch, capsys):
    """--overwrite deletes DIR/<config> before rebuilding but leaves manifest.json listing it; if the rebuild
    fails (a fetch error, Ctrl-C, kill -9), the next plain run says 'already holds a complete build' of data
    that no longer exists."""
    import slow_builder

    out = slow_env / "out"
    assert main([*BUILD, "--out", str(out)]) == 0
    original = slow_builder.SlowCounting.generate

    def failing(self, unit, ctx):
        if unit == "unit-3":
            raise CurateError("simulated failure in unit-3 (e.g. a fetch error)")
        yield from original(self, unit, ctx)

    monkeypatch.setattr(slow_builder.SlowCounting, "generate", failing)
    assert main([*BUILD, "--out", str(out), "--overwrite"]) == 2
    monkeypatch.setattr(slow_builder.SlowCounting, "generate", original)
    capsys.readouterr()
    assert main([*BUILD, "--out", str(out)]) == 0
    assert _manifest_matches_files(out) == [], capsys.readouterr().out


def test_interrupted_finalize_of_overwrite_never_mixes_manifest_and_data(slow_env, monkeypatch):
    """finalize swaps the new DIR/<config> in before the manifest is rewritten; Ctrl-C at the card step leaves
    the old manifest (full build, other sha256) over the new data, and a plain rerun reports it complete."""
    import curate.card

    out = slow_env / "out"
    assert main([*BUILD, "--out", str(out)]) == 0

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt  # the user's Ctrl-C lands while the card is written

    original = curate.card.write_card
    monkeypatch.setattr(curate.card, "write_card", interrupted)
    assert main([*BUILD, "--out", str(out), "--overwrite", "--max-examples", "7"]) == 130
    monkeypatch.setattr(curate.card, "write_card", original)
    # nothing may claim the replaced data; a plain rerun must not mix settings with the interrupted one
    assert "default" not in json.loads((out / "manifest.json").read_text())["configs"]
    assert main([*BUILD, "--out", str(out)]) == 2
    assert main([*BUILD, "--out", str(out), "--max-examples", "7"]) == 0  # resumes the interrupted build
    assert _manifest_matches_files(out) == []
    assert json.loads((out / "manifest.json").read_text())["configs"]["default"]["splits"]["train"]["rows"] == 7


def test_duplicate_config_flag_does_not_race_with_itself(slow_env):
    """`--config default --config default --workers 2` dispatches the same unit twice; both workers
    rmtree/write the same part folder at once and the build crashes with a FileNotFoundError traceback."""
    out = slow_env / "out"
    env = {**os.environ, "SLOW_UNITS": "1", "SLOW_SLEEP": "0.2"}
    proc = subprocess.run([sys.executable, "-m", "curate.cli", *BUILD, "--out", str(out), "--config", "default",
                           "--config", "default", "--workers", "2"], capture_output=True, text=True, env=env,
                          cwd=REPO, timeout=120, start_new_session=True)
    assert proc.returncode == 0, proc.stderr[-1500:]
    assert (slow_env / "generated.log").read_text().split() == ["unit-0"]


# ---- schema enforcement ----------------------------------------------------------------------------

FEATURES = datasets.Features({"id": datasets.Value("string"), "tokens": datasets.Sequence(datasets.Value("string"))})


def test_a_string_is_not_silently_split_into_a_token_list(tmp_path):
    """pyarrow accepts 'hello' for list<string> and stores ['h','e','l','l','o']: a builder that forgot to
    tokenise writes garbage instead of failing with the field named."""
    w = ArrowShardWriter(tmp_path, hf_schema(FEATURES), builder="demo", id_field="id")
    with pytest.raises(SchemaError, match=r"demo: field 'tokens' of record id='r1'"):
        w.write({"id": "r1", "tokens": "hello"})
        w.close()


def test_key_error_names_the_right_record_number(tmp_path):
    """Without an id field the record number is rows_written + 1, which ignores buffered rows: the 6th
    record is reported as 'record #1'."""
    w = ArrowShardWriter(tmp_path, hf_schema(FEATURES), builder="demo")
    for i in range(5):
        w.write({"id": f"r{i}", "tokens": ["x"]})
    with pytest.raises(SchemaError, match=r"record #6 "):
        w.write({"id": "r5", "tokenz": ["x"]})


def test_value_error_names_the_right_record_number(tmp_path):
    w = ArrowShardWriter(tmp_path, hf_schema(FEATURES), builder="demo")
    for i in range(5):
        w.write({"id": f"r{i}", "tokens": ["x"]})
    w.write({"id": 5, "tokens": ["x"]})
    with pytest.raises(SchemaError, match=r"field 'id' of record #6 "):
        w.close()


# ---- logs and Hub loading --------------------------------------------------------------------------

def test_task_log_keeps_the_unit_failure(slow_env, monkeypatch):
    """dispatch_units says 'see .curate/units/logs', but BuildUnitsStep.run calls quiet_datatrove(), whose
    logger.remove() also drops datatrove's per-task log file handler: the log never records the error."""
    import slow_builder

    out = slow_env / "out"
    original = slow_builder.SlowCounting.generate

    def failing(self, unit, ctx):
        if unit == "unit-2":
            raise CurateError("boom-in-unit-2")
        yield from original(self, unit, ctx)

    monkeypatch.setattr(slow_builder.SlowCounting, "generate", failing)
    assert main([*BUILD, "--out", str(out)]) == 2
    logs = "".join(p.read_text() for p in (Staging(out).unit_logs / "logs").glob("task_*.log"))
    assert "boom-in-unit-2" in logs


def test_card_lists_no_empty_split(slow_env):
    """`datasets.load_dataset(DIR, config)` fails on a split whose files hold no rows ('Instruction
    \"train\" corresponds to no data!'), so the card leaves empty splits (and all-empty configs) out."""
    import yaml

    out = slow_env / "out"
    assert main([*BUILD, "--out", str(out), "--max-examples", "0"]) == 0
    assert datasets.load_from_disk(str(out / "default"))["train"].num_rows == 0  # this layout is fine
    meta = yaml.safe_load((out / "README.md").read_text().split("---")[1])
    assert meta.get("configs", []) == []


def test_load_dataset_after_a_rebuild_returns_the_new_rows(slow_env):
    """datasets keys its cache on the card YAML (dataset_infos + config patterns), not on the files; the card
    has no `dataset_info`, so a rebuilt DIR (or another DIR with the same basename) loads the OLD rows."""
    first, second = slow_env / "a" / "out", slow_env / "b" / "out"
    assert main([*BUILD, "--out", str(first), "--max-examples", "3"]) == 0
    assert datasets.load_dataset(str(first), "default")["train"].num_rows == 3
    assert main([*BUILD, "--out", str(second), "--max-examples", "5"]) == 0
    assert datasets.load_dataset(str(second), "default")["train"].num_rows == 5
