"""The same build through datatrove's Slurm and Ray executors gives the local build's bytes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, shard_hashes

from curate.cli import main
from curate.errors import CurateError
from curate.staging import Staging

BIN = Path(sys.executable).parent

FAKE_SBATCH = """#!/bin/bash
# records each submission; the test plays the cluster by running the pickled pipelines itself
echo "ARGS $@" >> "$SBATCH_LOG"
echo "Submitted batch job $((4240 + $(grep -c ^ARGS "$SBATCH_LOG")))"
"""
FAKE_SCONTROL = """#!/bin/bash
# `scontrol show hostnames NODELIST`, as datatrove asks inside a task
echo localhost
"""


def _local_reference(tmp_path: Path) -> dict[str, str]:
    ref = tmp_path / "ref"
    assert main(["build", "maltese-etymology", "--sample", "--out", str(ref)]) == 0
    return shard_hashes(ref)


def test_slurm_job_array_then_dependent_finalize(tmp_path):
    fakebin = tmp_path / "bin"
    fakebin.mkdir()
    (fakebin / "sbatch").write_text(FAKE_SBATCH)
    (fakebin / "scontrol").write_text(FAKE_SCONTROL)
    for tool in ("sbatch", "scontrol"):
        (fakebin / tool).chmod(0o755)
    log = tmp_path / "sbatch.log"
    env = {**os.environ, "PATH": f"{fakebin}{os.pathsep}{BIN}{os.pathsep}{os.environ['PATH']}",
           "SBATCH_LOG": str(log)}
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "curate.cli", "build", "maltese-etymology", "--sample", "--out",
                           str(out), "--executor", "slurm", "--slurm-partition", "gpu-small"],
                          env=env, capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr
    # datatrove submits each pipeline plus a small stats-merging job after it
    submissions = [line for line in log.read_text().splitlines() if "--export" in line]
    assert len(submissions) == 2 and "--dependency=afterok:4241" in submissions[1]
    script = (Staging(out).unit_logs / "launch_script.slurm").read_text()
    assert "#SBATCH --partition=gpu-small" in script and "launch_pickled_pipeline" in script
    assert not (out / "manifest.json").exists()
    # play the cluster: every array task of the units job, then the finalize job
    ranks = json.loads((Staging(out).unit_logs / "ranks_to_run.json").read_text())
    for logs, tasks in ((Staging(out).unit_logs, len(ranks)), (Staging(out).finalize_logs, 1)):
        for task in range(tasks):
            run = subprocess.run([str(BIN / "launch_pickled_pipeline"), str(logs / "executor.pik")],
                                 env={**env, "SLURM_ARRAY_TASK_ID": str(task), "RUN_OFFSET": "0",
                                      "SLURM_NODELIST": "localhost", "SLURM_JOB_ID": "4241"},
                                 capture_output=True, text=True, cwd=tmp_path, timeout=120)
            assert run.returncode == 0, run.stderr[-2000:]
    assert json.loads((out / "manifest.json").read_text())["configs"]["mudt"]["splits"]["test"]["rows"] == 10
    assert not Staging(out).submission_file.exists()  # the finalize job freed the folder
    assert shard_hashes(out) == _local_reference(tmp_path)


def test_ray_executor_builds_the_same_bytes(tmp_path):
    out = tmp_path / "out"
    # a loaded 2-core CI box can take a while to register the raylet; give it time instead of failing
    env = {**os.environ, "RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0",
           "RAY_raylet_start_wait_time_s": "120"}
    proc = subprocess.run([sys.executable, "-m", "curate.cli", "build", "maltese-etymology", "--sample", "--out",
                           str(out), "--executor", "ray", "--workers", "2"],
                          env=env, capture_output=True, text=True, cwd=REPO, timeout=600, start_new_session=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert shard_hashes(out) == _local_reference(tmp_path)


def test_a_submitted_slurm_build_holds_the_folder_until_its_jobs_are_gone(tmp_path, monkeypatch):
    """The lock goes with the submitting process: the marker keeps a second build (any executor) from writing
    beside the job array; squeue forgetting the jobs, or removing the marker, lets the build go on."""
    fakebin = tmp_path / "bin"
    fakebin.mkdir()
    (fakebin / "sbatch").write_text(FAKE_SBATCH)
    (fakebin / "scontrol").write_text(FAKE_SCONTROL)
    # the cluster's answer is the test's: squeue prints $SQUEUE_OUT, or fails like Slurm on forgotten ids
    # (a user's SQUEUE_STATES filter would hide the jobs: curate must not pass it on)
    (fakebin / "squeue").write_text('#!/bin/bash\nif [ -n "$SQUEUE_STATES" ]; then exit 0; fi\n'
                                    'if [ -n "$FAKE_SQUEUE_OUT" ]; then echo "$FAKE_SQUEUE_OUT"; else\n'
                                    'echo "slurm_load_jobs error: Invalid job id specified" >&2; exit 1; fi\n')
    for tool in ("sbatch", "scontrol", "squeue"):
        (fakebin / tool).chmod(0o755)
    env = {**os.environ, "PATH": f"{fakebin}{os.pathsep}{BIN}{os.pathsep}{os.environ['PATH']}",
           "SBATCH_LOG": str(tmp_path / "sbatch.log"), "FAKE_SQUEUE_OUT": "4243 PENDING Dependency",
           "SQUEUE_STATES": "RUNNING"}
    out = tmp_path / "out"

    def build(executor: str, **extra: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "curate.cli", "build", "maltese-etymology", "--sample",
                               "--out", str(out), "--executor", executor], env={**env, **extra},
                              capture_output=True, text=True, cwd=REPO, timeout=120)

    assert build("slurm").returncode == 0
    marker = Staging(out).submission_file
    assert json.loads(marker.read_text())["job_ids"] == ["4241", "4243"]  # the units array, then finalize
    for executor in ("slurm", "local"):
        refused = build(executor)
        assert refused.returncode == 2 and "4243 PENDING Dependency" in refused.stderr and str(marker) in refused.stderr
    assert len((tmp_path / "sbatch.log").read_text().splitlines()) == 4  # nothing submitted a second time
    assert not (out / "manifest.json").exists()

    # squeue unavailable (a machine off the cluster): cannot tell, so refused; removing the marker is the way out
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no squeue at all, whatever this machine has
    with pytest.raises(CurateError, match="squeue could not tell: squeue did not run") as refused, Staging(out).lock():
        pass
    assert f"remove {marker} and rerun" in str(refused.value)
    marker.unlink()
    with Staging(out).lock():
        pass

    # jobs that ended (squeue --states=all still lists them a while): the marker is stale, the build resumes
    Staging(out).record_submission(["4241", "4243"])
    done = build("local", FAKE_SQUEUE_OUT="4243 COMPLETED None")
    assert done.returncode == 0, done.stderr
    assert not marker.exists()
    assert json.loads((out / "manifest.json").read_text())["configs"]["mudt"]["splits"]["test"]["rows"] == 10
    # jobs Slurm has forgotten ("Invalid job id"): stale too
    Staging(out).record_submission(["4241", "4243"])
    monkeypatch.setenv("PATH", f"{fakebin}{os.pathsep}{BIN}")
    monkeypatch.delenv("FAKE_SQUEUE_OUT", raising=False)
    monkeypatch.delenv("SQUEUE_STATES", raising=False)
    with Staging(out).lock():
        pass
    assert not marker.exists()


def test_a_finalize_job_frees_only_its_own_submission(tmp_path):
    staging = Staging(tmp_path / "out")
    staging.root.mkdir(parents=True)
    staging.record_submission(["7", "8"])
    staging.end_submission("99")  # an old finalize job, after the marker was removed by hand and resubmitted
    assert staging.submission_file.exists()
    staging.end_submission("8")
    assert not staging.submission_file.exists()
