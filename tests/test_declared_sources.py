"""Declared sources: a shipped file pinned with a sha256 must be present and match before a build starts;
a manual source (the user supplies it) or an unpinned path is listed as declared, never required."""

from __future__ import annotations

import hashlib
import json

import pytest

import curate.builder
from curate.builder import Source
from curate.cli import main
from curate.errors import InputFormatError
from curate.finalize import verified_sources
from curate.registry import all_builders
from curate.settings import BuildOptions

PINNED = "0" * 64  # a sha256 no file here has; the check must fail on absence before it compares anything


@pytest.fixture
def fake_root(tmp_path, monkeypatch):
    """REPO_ROOT points at an empty folder, so declared paths resolve there and nothing real is touched."""
    root = tmp_path / "repo"
    (root / "data").mkdir(parents=True)
    monkeypatch.setattr(curate.builder, "REPO_ROOT", root)
    return root


def _builder(sources: list[Source]):
    from slow_builder import SlowCounting

    b = SlowCounting()
    b.sources = sources  # per instance: no new Builder subclass leaks into the registry
    return b


def test_missing_pinned_shipped_file_is_an_error_naming_it(slow_env, fake_root):
    b = _builder([Source("split ids", path="data/ids.tsv", sha256=PINNED)])
    with pytest.raises(InputFormatError, match="is missing") as exc:
        verified_sources(b, BuildOptions(out_dir=slow_env / "out"))
    assert exc.value.path == str(fake_root / "data" / "ids.tsv")
    assert "'split ids'" in str(exc.value) and PINNED in str(exc.value)


def test_build_stops_before_any_work_when_a_pinned_shipped_file_is_missing(slow_env, fake_root, monkeypatch, capsys):
    import slow_builder

    monkeypatch.setattr(slow_builder.SlowCounting, "sources", [Source("ids", path="data/ids.tsv", sha256=PINNED)])
    out = slow_env / "out"
    assert main(["build", "test-slow-counting", "--out", str(out), "--workers", "1"]) == 2
    captured = capsys.readouterr()
    assert str(fake_root / "data" / "ids.tsv") in captured.out + captured.err
    assert not (out / "manifest.json").exists()
    assert not (slow_env / "generated.log").exists()  # no work unit ran


def test_present_file_is_verified_and_a_wrong_one_rejected(slow_env, fake_root):
    (fake_root / "data" / "ids.tsv").write_bytes(b"celex_id\tsplit\n")
    sha = hashlib.sha256(b"celex_id\tsplit\n").hexdigest()
    opts = BuildOptions(out_dir=slow_env / "out")
    [item] = verified_sources(_builder([Source("ids", path="data/ids.tsv", sha256=sha)]), opts)
    assert item["sha256_verified"] == sha
    with pytest.raises(InputFormatError, match="differs from the declared"):
        verified_sources(_builder([Source("ids", path="data/ids.tsv", sha256=PINNED)]), opts)


def test_manual_and_unpinned_sources_may_be_absent(slow_env, fake_root):
    b = _builder([Source("user dump", path="data/dump.xml", sha256=PINNED, manual=True),
                  Source("notes", path="data/SOURCE.md")])
    items = verified_sources(b, BuildOptions(out_dir=slow_env / "out"))
    assert [i["name"] for i in items] == ["user dump", "notes"]  # still listed: nothing dropped
    assert not any("sha256_verified" in i for i in items)


def test_every_builders_pinned_shipped_files_are_present():
    """The real declarations: each non-manual pinned path ships in the repository and matches."""
    checked = 0
    for name, cls in sorted(all_builders().items()):
        items = verified_sources(cls(), BuildOptions(out_dir=curate.builder.REPO_ROOT / "unused"))
        for s, item in zip(cls.sources, items, strict=False):
            if s.path and s.sha256 and not s.manual:
                assert item["sha256_verified"] == s.sha256, name
                checked += 1
    assert checked >= 5, json.dumps(sorted(all_builders()))  # eurlex split ids, etymology tables, MUDT
