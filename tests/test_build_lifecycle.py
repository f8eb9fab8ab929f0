"""The build's life cycle under faults (issue 11 items 3, 4, 8, 11): a killed curate leaves no orphan and no
held lock, a failed rebuild keeps the previous build listed, files follow the umask, "already complete"
means the bytes match, and --durable fsyncs. Real processes, real signals."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time

import pytest
from conftest import REPO, shard_hashes

from curate.cli import main
from curate.staging import Staging

BUILD = ["build", "test-slow-counting", "--no-progress"]


def _popen(*args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "curate.cli", *BUILD, *args], env={**os.environ, **(env or {})},
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "curate.cli", *BUILD, *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, cwd=REPO, timeout=300, start_new_session=True)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


_REFERENCE: dict[str, dict[str, str]] = {}


def _reference_hashes(tmp_path) -> dict[str, str]:
    """An undisturbed build of the same units (built once per session, in-process: bytes never depend on it)."""
    if "slow" not in _REFERENCE:
        assert main([*BUILD, "--out", str(tmp_path / "ref")]) == 0
        _REFERENCE["slow"] = shard_hashes(tmp_path / "ref")
    return _REFERENCE["slow"]


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "sigterm"])
def test_killing_curate_leaves_no_orphan_and_no_held_lock(slow_env, sig):
    """Only the curate PID is signalled (not its group): datatrove's Manager and the pool workers must die
    with it, the rerun must not be refused, and the result is byte-identical to an undisturbed build."""
    out = slow_env / "out"
    proc = _popen("--out", str(out), "--workers", "2", env={"SLOW_SLEEP": "0.15"})
    parts = out / ".curate"
    assert _wait_for(lambda: any(parts.rglob("done.json")), 60), proc.communicate(timeout=5)
    os.kill(proc.pid, sig)
    proc.wait(timeout=30)  # reap it: a zombie still counts as a member of its group
    assert _wait_for(lambda: not _group_alive(proc.pid), 15), "helper processes outlived the killed curate"
    assert main([*BUILD, "--out", str(out)]) == 0  # not refused by a stale lock
    assert shard_hashes(out) == _reference_hashes(slow_env)


def test_a_running_build_refuses_a_second_one_naming_its_pid(slow_env):
    out = slow_env / "out"
    first = _popen("--out", str(out), env={"SLOW_UNITS": "3", "SLOW_SLEEP": "0.3"})
    try:
        lock = out / ".curate" / "lock"
        assert _wait_for(lambda: lock.exists() and lock.read_text().strip() == str(first.pid), 60)
        with pytest.raises(Exception) as refused:
            from curate.staging import Staging

            with Staging(out).lock():
                pass
        assert f"pid {first.pid}" in str(refused.value)
    finally:
        first.wait(timeout=120)
    assert first.returncode == 0


def _manifest(out) -> dict:
    return json.loads((out / "manifest.json").read_text())


def test_failed_overwrite_keeps_complete_configs_listed_and_the_original_command_valid(slow_env, capsys):
    out = slow_env / "out"
    both = ["--out", str(out), "--config", "default", "--config", "other"]
    assert main([*BUILD, *both]) == 0
    before = shard_hashes(out)
    listed = _manifest(out)["configs"]
    os.environ["SLOW_FAIL_CONFIG"] = "other"
    try:
        assert main([*BUILD, *both, "--overwrite", "--max-examples", "5"]) == 2
    finally:
        del os.environ["SLOW_FAIL_CONFIG"]
    assert _manifest(out)["configs"] == listed  # nothing was replaced, so nothing was unlisted
    assert shard_hashes(out) == before
    capsys.readouterr()
    assert main([*BUILD, *both]) == 0  # the original command is still valid: nothing to do
    assert "already holds a complete build" in capsys.readouterr().out


def test_failed_multi_config_build_keeps_the_complete_config_listed(slow_env):
    out = slow_env / "out"
    assert main([*BUILD, "--out", str(out)]) == 0
    entry = _manifest(out)["configs"]["default"]
    os.environ["SLOW_FAIL_CONFIG"] = "other"
    try:
        assert main([*BUILD, "--out", str(out), "--config", "default", "--config", "other"]) == 2
    finally:
        del os.environ["SLOW_FAIL_CONFIG"]
    assert _manifest(out)["configs"] == {"default": entry}
    assert main([*BUILD, "--out", str(out), "--config", "default", "--config", "other"]) == 0
    assert set(_manifest(out)["configs"]) == {"default", "other"}


def test_files_follow_the_umask(slow_env):
    """mkstemp makes 0600 files; a shared build (and the HTTP cache, written the same way) must be readable."""
    from curate.io import atomic_write

    out = slow_env / "out"
    old = os.umask(0o022)
    try:
        assert main([*BUILD, "--out", str(out)]) == 0
        atomic_write(slow_env / "cache-entry", b"x")
        os.umask(0o027)
        atomic_write(slow_env / "group-entry", b"x")
    finally:
        os.umask(old)
    modes = {str(p.relative_to(out)): stat.S_IMODE(p.stat().st_mode) for p in out.rglob("*") if p.is_file()}
    assert {k for k, m in modes.items() if m != 0o644} == set(), modes
    assert {"manifest.json", "README.md", "default/dataset_dict.json", "default/train/state.json",
            "default/train/dataset_info.json"} <= modes.keys()
    assert stat.S_IMODE((slow_env / "cache-entry").stat().st_mode) == 0o644
    assert stat.S_IMODE((slow_env / "group-entry").stat().st_mode) == 0o640


def test_already_complete_compares_sha256_not_sizes(slow_env, capsys):
    out = slow_env / "out"
    assert main([*BUILD, "--out", str(out)]) == 0
    before = shard_hashes(out)
    shard = out / next(iter(before))
    data = bytearray(shard.read_bytes())
    data[-20] ^= 0xFF  # same size, other bytes
    shard.write_bytes(bytes(data))
    capsys.readouterr()
    assert main([*BUILD, "--out", str(out)]) == 0
    assert "already holds" not in capsys.readouterr().out
    assert shard_hashes(out) == before


def test_durable_fsyncs_files_and_folders(slow_env, monkeypatch):
    from curate import io

    synced: list[str] = []
    real = os.fsync

    def spy(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real(fd)

    monkeypatch.setattr(os, "fsync", spy)
    assert main([*BUILD, "--out", str(slow_env / "plain")]) == 0
    assert synced == []
    out = slow_env / "durable"
    assert main([*BUILD, "--out", str(out), "--durable"]) == 0
    io.set_durable(False)
    assert str(out) in synced  # the folder holding the renames
    assert any(p.startswith(str(out / ".manifest.json.")) for p in synced)  # its temp file, before the rename
    assert any(p.endswith(".arrow") or ".tmp-data-" in p for p in synced)
    assert str(out / "default" / "train") in synced or any(p.endswith("/final/train") for p in synced)


def test_a_unit_error_in_a_pool_worker_fails_the_build_instead_of_hanging(slow_env):
    """InputFormatError(path, line, message) could not be unpickled in the parent: with --workers 2 the
    pool waited for ever on a bad input. Now the build fails, naming the file and line, and the units that
    did finish are kept for the rerun."""
    out = slow_env / "out"
    proc = subprocess.run([sys.executable, "-m", "curate.cli", *BUILD, "--out", str(out), "--workers", "2"],
                          capture_output=True, text=True, env={**os.environ, "SLOW_FAIL_CONFIG": "default"},
                          cwd=REPO, timeout=240, start_new_session=True)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "unit-3.xml:7: simulated bad input" in proc.stderr + "".join(
        p.read_text() for p in (Staging(out).unit_logs / "logs").glob("task_*.log"))
