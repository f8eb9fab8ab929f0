"""`curate new NAME`: the scaffold is a working builder once its sample holds records."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import datasets
import pytest

from curate.cli import main
from curate.registry import all_builders

REPO = Path(__file__).resolve().parent.parent

RECORDS = [  # two sentences of UD_Maltese-MUDT train (CC BY-SA 4.0, curate/data/ud_maltese), and a too-short text
    {"id": "02_02J01:1", "split": "train", "text": "Illum waranofsinhar il-Maġistrat Miriam Hayman iddikjarat li "
     "hemm biżżejjed provi biex il-ħames aħwa tan-negozjant George Farrugia jitqiegħdu taħt att ta' akkuża."},
    {"id": "short", "split": "train", "text": "?"},
    {"id": "02_02J01:2", "split": "test", "text": "L-aħwa tressqu l-Qorti lbieraħ u ġew mixlijin b'tixħim fil-każ "
     "tax-xiri taż-żejt mill-Enemalta fi żmien il-Gvern Nazzjonalista, f'liema każ ħuhom George ngħata l-proklama."},
]


@pytest.fixture
def plugin_path(tmp_path, monkeypatch):
    """A builders folder outside the package, registered the way the command tells the user to."""
    root = tmp_path / "plugins"
    root.mkdir()
    monkeypatch.setenv("PYTHONPATH", f"{root}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    monkeypatch.syspath_prepend(str(root))
    all_builders.cache_clear()
    yield root
    monkeypatch.delenv("CURATE_EXTRA_BUILDERS", raising=False)
    all_builders.cache_clear()
    for name in [m for m in sys.modules if m == "toy_corpus" or m.startswith("toy_corpus.")]:
        del sys.modules[name]


def test_scaffold_builds_once_its_sample_is_filled(plugin_path, tmp_path, capsys, monkeypatch):
    assert main(["new", "toy-corpus", "--path", str(plugin_path)]) == 0
    monkeypatch.setenv("CURATE_EXTRA_BUILDERS", "toy_corpus")  # as the command says to
    folder = plugin_path / "toy_corpus"
    assert {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} == {
        "__init__.py", "options.py", "card.md", "test_toy_corpus.py", "sample/README.md", "sample/expected.json"}
    assert "CURATE_EXTRA_BUILDERS=toy_corpus" in capsys.readouterr().out
    all_builders.cache_clear()
    assert "toy-corpus" in all_builders()

    # an empty sample is refused with the way out, not built into an empty dataset
    assert main(["build", "toy-corpus", "--sample", "--no-progress", "--out", str(tmp_path / "empty")]) == 2
    assert "fill the sample: see its README.md" in capsys.readouterr().err

    (folder / "sample" / "part-0.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in RECORDS))
    (folder / "sample" / "expected.json").write_text(json.dumps({"default": {"train": 1, "test": 1}}))
    out = tmp_path / "out"
    assert main(["build", "toy-corpus", "--sample", "--no-progress", "--min-chars", "2", "--out", str(out)]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    entry = manifest["configs"]["default"]
    assert {s: i["rows"] for s, i in entry["splits"].items()} == {"train": 1, "test": 1}
    assert entry["skipped"] == {"text_too_short": 1} and entry["fingerprint"]["options"] == {"min_chars": 2}
    loaded = datasets.load_from_disk(str(out / "default"))
    assert loaded["test"][0] == {"id": "02_02J01:2", "text": RECORDS[2]["text"]}
    assert "# toy-corpus" in (out / "README.md").read_text()  # the card template beside the builder

    # the builder harness (rows, sha256, load_dataset, card YAML, ids, 1 vs 2 workers, interrupted rerun) and the
    # scaffold's own test pass on the filled fixture (--min-chars default 1 keeps "?": 2 train rows). In a child
    # process: a worker pool started here would keep this test's environment for later tests.
    (folder / "sample" / "expected.json").write_text(json.dumps({"default": {"train": 2, "test": 1}}))
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(REPO),
                           str(REPO / "tests" / "test_every_builder.py"), str(folder), "-k", "toy"],
                          cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    summary = done.stdout.strip().splitlines()[-1]
    passed = re.search(r"(\d+) passed", summary)
    assert passed and int(passed[1]) >= 8 and "failed" not in summary and "skipped" not in summary, summary


@pytest.mark.parametrize(("name", "message"), [
    ("Toy_Corpus", "use lower-case letters, digits and single hyphens"),
    ("eurlex-sum", "a builder named 'eurlex-sum' is already registered"),
])
def test_bad_names_are_refused(tmp_path, capsys, name, message):
    assert main(["new", name, "--path", str(tmp_path)]) == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_an_existing_folder_is_never_overwritten(tmp_path, capsys):
    (tmp_path / "my_corpus").mkdir()
    (tmp_path / "my_corpus" / "keep.txt").write_text("mine")
    assert main(["new", "my-corpus", "--path", str(tmp_path)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert [p.name for p in (tmp_path / "my_corpus").iterdir()] == ["keep.txt"]


def test_the_default_folder_is_the_one_the_registry_scans():
    from curate.commands.new import _builders_root

    root = _builders_root()
    assert (root / "eurlex_sum" / "__init__.py").is_file() and (root / "__init__.py").is_file()
