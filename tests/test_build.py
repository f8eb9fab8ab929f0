from __future__ import annotations

import json
import os
import subprocess
import sys

import datasets
import yaml
from conftest import REPO, shard_hashes

from curate.cli import main
from curate.staging import Staging

TESTS = REPO / "tests"


def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "curate.cli", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, cwd=REPO, timeout=300, start_new_session=True)


def test_manifest_card_and_layout(slow_env):
    out = slow_env / "out"
    assert main(["build", "test-slow-counting", "--out", str(out)]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    entry = manifest["configs"]["default"]
    assert entry["splits"]["train"]["rows"] + entry["splits"]["test"]["rows"] == 6 * (200 - 29)
    assert entry["skipped"] == {"multiple_of_seven": 6 * 29}
    for split in entry["splits"].values():
        for shard in split["shards"]:
            assert (out / shard["path"]).stat().st_size == shard["bytes"]
    assert {"datasets", "pyarrow", "datatrove", "python"} <= manifest["tools"].keys()
    dd = datasets.load_from_disk(str(out / "default"))
    assert dd["train"][0]["id"] == "unit-0/1"
    card = (out / "README.md").read_text()
    meta = yaml.safe_load(card.split("---")[1])
    assert meta["configs"][0]["data_files"][0] == {"split": "train", "path": "default/train/data-*.arrow"}
    assert meta["size_categories"] == ["1K<n<10K"]
    loaded = datasets.load_dataset(str(out), "default")
    assert loaded["test"].num_rows == entry["splits"]["test"]["rows"]


def test_existing_output_is_reported_not_clobbered(slow_env, capsys):
    out = slow_env / "out"
    main(["build", "test-slow-counting", "--out", str(out)])
    before = shard_hashes(out)
    log = slow_env / "generated.log"
    log.unlink()
    assert main(["build", "test-slow-counting", "--out", str(out)]) == 0
    assert "already holds a complete build" in capsys.readouterr().out
    assert not log.exists()
    assert main(["build", "test-slow-counting", "--out", str(out), "--overwrite"]) == 0
    assert len(log.read_text().split()) == 6
    assert shard_hashes(out) == before


def test_workers_do_not_change_bytes(slow_env):
    a, b = slow_env / "a", slow_env / "b"
    main(["build", "test-slow-counting", "--out", str(a), "--workers", "1"])
    main(["build", "test-slow-counting", "--out", str(b), "--workers", "2"])
    assert shard_hashes(a) == shard_hashes(b) and shard_hashes(a)


def test_max_examples(slow_env):
    out = slow_env / "out"
    main(["build", "test-slow-counting", "--out", str(out), "--max-examples", "7"])
    manifest = json.loads((out / "manifest.json").read_text())
    assert {s: i["rows"] for s, i in manifest["configs"]["default"]["splits"].items()} == {"train": 7, "test": 7}


def test_kill_9_then_resume_is_byte_identical(slow_env):
    ref, out = slow_env / "ref", slow_env / "out"
    env = {"SLOW_KILL_MARKER": str(slow_env / "killed")}
    first = _cli("build", "test-slow-counting", "--out", str(out), env=env)
    assert first.returncode != 0 and (slow_env / "killed").exists()
    assert not (out / "default").exists() and not (out / "manifest.json").exists()
    done_before = sorted(p.parent.name for p in Staging(out).parts_dir("default").glob("*/done.json"))
    assert "000003-unit-3" not in done_before and len(done_before) >= 1
    (slow_env / "generated.log").unlink()
    second = _cli("build", "test-slow-counting", "--out", str(out), env=env)
    assert second.returncode == 0, second.stderr
    redone = (slow_env / "generated.log").read_text().split()
    assert "unit-3" in redone and len(redone) == 6 - len(done_before)  # finished units are not redone
    assert _cli("build", "test-slow-counting", "--out", str(ref)).returncode == 0
    assert shard_hashes(out) == shard_hashes(ref)


def test_changed_options_do_not_mix_with_unfinished_build(slow_env):
    out = slow_env / "out"
    env = {"SLOW_KILL_MARKER": str(slow_env / "killed")}
    assert _cli("build", "test-slow-counting", "--out", str(out), env=env).returncode != 0
    proc = _cli("build", "test-slow-counting", "--out", str(out), "--max-examples", "3")
    assert proc.returncode == 2 and "--overwrite" in proc.stderr


def test_unknown_builder_and_config_list_valid_names(capsys):
    assert main(["build", "no-such-thing", "--out", "/tmp/x"]) == 2
    err = capsys.readouterr().err
    assert "unknown builder 'no-such-thing'" in err and "maltese-etymology" in err
    assert main(["build", "maltese-etymology", "--config", "nope", "--out", "/tmp/x"]) == 2
    assert "annotations, mudt" in capsys.readouterr().err


def test_unknown_builder_option_is_an_error(capsys):
    assert main(["build", "maltese-etymology", "--out", "/tmp/x", "--frobnicate", "3"]) == 2
    assert "--frobnicate" in capsys.readouterr().err


def test_list_and_info(capsys):
    assert main(["list"]) == 0
    assert "maltese-etymology\t1.0.0\tannotations,mudt" in capsys.readouterr().out
    assert main(["info", "maltese-etymology"]) == 0
    out = capsys.readouterr().out
    assert "sha256=814a30c8" in out and "etymology: list<item: string>" in out and "cc-by-sa-4.0" in out


def test_disk_full_mid_shard_leaves_nothing_under_a_final_name_and_resumes(slow_env, monkeypatch):
    import errno

    import curate.shards

    out = slow_env / "out"
    real_write = curate.shards._HashingSink.write
    calls = {"n": 0}

    def filling_disk(self, data):
        calls["n"] += 1
        if calls["n"] == 40:  # somewhere inside a later unit's part file
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(self, data)

    monkeypatch.setattr(curate.shards._HashingSink, "write", filling_disk)
    assert main(["build", "test-slow-counting", "--out", str(out), "--no-progress"]) != 0
    assert not (out / "default").exists() and not (out / "manifest.json").exists()
    parts = Staging(out).parts_dir("default")
    finals = [p for p in parts.rglob("data-*.arrow") if not (p.parent.parent / "done.json").exists()]
    assert finals == []  # an unfinished unit never shows a shard under its final name
    monkeypatch.setattr(curate.shards._HashingSink, "write", real_write)
    assert main(["build", "test-slow-counting", "--out", str(out), "--no-progress"]) == 0
    assert json.loads((out / "manifest.json").read_text())["configs"]["default"]["work_units"] == 6


def test_offline_build_with_an_empty_cache_names_the_url(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["build", "eurlex-sum", "--offline", "--cache-dir", str(tmp_path / "cache"), "--out", str(out),
                 "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "https://publications.europa.eu/webapi/rdf/sparql" in err and "--offline forbids the network" in err
    assert not (tmp_path / "cache" / "http" / "index").exists() or not any((tmp_path / "cache" / "http" / "index").iterdir())
