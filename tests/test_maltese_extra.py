"""Without torch (the `maltese` extra) the Maltese commands, the tagger and the maltese-etymology build stop with
one clear error naming `pip install 'curate[maltese]'`, never a traceback; what needs no torch still works
(issue 12 item 8).

A machine without the extra is played by a PYTHONPATH folder whose `torch` and `transformers` packages raise
ModuleNotFoundError on import, the very exception a missing package raises."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

HINT = "pip install 'curate[maltese]'"
CLI = "import sys; from curate.cli import main; sys.exit(main())"


@pytest.fixture
def no_torch(tmp_path) -> dict[str, str]:
    blocker = tmp_path / "no_torch"
    for module in ("torch", "transformers"):
        (blocker / module).mkdir(parents=True)
        (blocker / module / "__init__.py").write_text(
            f"raise ModuleNotFoundError(\"No module named '{module}'\", name=\"{module}\")\n", encoding="utf-8")
    path = os.pathsep.join(filter(None, [str(blocker), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, "CURATE_CACHE": str(tmp_path / "cache")}


def run(args: list[str], env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", CLI, *args], input=stdin, capture_output=True, text=True, env=env,
                          timeout=300)


@pytest.mark.parametrize("args", [["tag"], ["etymology", "eval", "--folds", "2", "--max-sentences", "4"]])
def test_maltese_command_without_torch_names_the_extra(no_torch, args):
    proc = run(args, no_torch, stdin="Il-kelb jiekol il-laham.\n")
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert HINT in proc.stderr and "torch" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_tagger_build_without_torch_names_the_extra_and_translit_still_works(no_torch, tmp_path):
    proc = run(["build", "maltese-etymology", "--config", "mudt", "--sample", "--out", str(tmp_path / "out")],
               no_torch)
    assert proc.returncode != 0
    assert HINT in proc.stderr, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    proc = run(["transliterate"], no_torch, stdin="kelb\n")  # pure Python: no extra needed
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.startswith("kelb\t") and len(proc.stdout.strip().split("\t")[1]) > 0


def test_tagger_transform_without_torch_raises_missing_extra(no_torch):
    probe = ("from curate.errors import MissingExtraError\n"
             "from curate.transforms import EtymologyTagger\n"
             "try:\n    EtymologyTagger()({'tokens': ['kelb']})\n"
             "except MissingExtraError as exc:\n    print('MISSING', exc)\n")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=no_torch, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.startswith("MISSING the etymology tagger needs torch") and HINT in proc.stdout
