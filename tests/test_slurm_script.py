"""The sbatch script a Slurm build submits activates the venv (`source <venv>/bin/activate`; datatrove sources
whatever path it is given, and `source <venv folder>` fails) with the build's partition, time and memory.
docs/slurm.md shows the same scripts, produced by this code path."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pytest

from curate.cli import main
from curate.cluster import activate_script, memory_gb
from curate.run import BuildOptions, make_executor
from curate.settings import SlurmSettings


def test_activate_script(tmp_path):
    venv = Path(sys.prefix)
    assert activate_script(str(venv)) == str(venv / "bin" / "activate")
    assert activate_script(str(venv / "bin" / "activate")) == str(venv / "bin" / "activate")
    assert activate_script(None) is None
    assert activate_script(str(tmp_path)) == str(tmp_path)  # not a venv: passed through as given


def test_units_script_sources_the_activate_script(tmp_path):
    opts = BuildOptions(out_dir=tmp_path, executor="slurm", workers=8,
                        slurm=SlurmSettings(partition="cpu", time="24:00:00", venv_path=sys.prefix))
    executor = make_executor([], 40, opts, tmp_path / ".curate" / "units")
    script = executor.get_launch_file_contents(executor.get_sbatch_args(), "srun -l launch_pickled_pipeline X")
    assert f"source {Path(sys.prefix) / 'bin' / 'activate'}\n" in script
    assert "#SBATCH --job-name=units" in script and "#SBATCH --partition=cpu" in script
    assert "#SBATCH --cpus-per-task=1" in script and "#SBATCH --mem-per-cpu=2G" in script


def test_memory_flag_reaches_the_script_and_bad_values_are_refused(tmp_path, capsys):
    assert memory_gb("16") == 16
    for bad in ("0", "1.5", "lots", "-2"):
        with pytest.raises(argparse.ArgumentTypeError, match="not a whole, positive number of GB"):
            memory_gb(bad)
    opts = BuildOptions(out_dir=tmp_path, executor="slurm", slurm=SlurmSettings(venv_path=None, mem_per_cpu_gb=16))
    executor = make_executor([], 4, opts, tmp_path / ".curate" / "units")
    assert "#SBATCH --mem-per-cpu=16G" in executor.get_launch_file_contents(executor.get_sbatch_args(), "x")
    with pytest.raises(SystemExit):
        main(["build", "maltese-etymology", "--out", str(tmp_path / "o"), "--mem-per-cpu-gb", "0"])
    assert "not a whole, positive number of GB" in capsys.readouterr().err
