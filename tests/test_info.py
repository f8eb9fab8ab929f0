"""`curate info NAME --json`: everything a builder declares, machine-readable."""

from __future__ import annotations

import json

import pytest

from curate.cli import main
from curate.options import describe
from curate.registry import all_builders

KEYS = {"name", "version", "description", "homepage", "license", "citation", "languages", "task_categories",
        "default_configs", "configs", "sources", "options", "endpoints", "manual_download_instructions"}


@pytest.mark.parametrize("name", sorted(all_builders()))
def test_info_json_describes_every_builder(name, capsys):
    assert main(["info", name, "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    cls = all_builders()[name]
    assert set(info) == KEYS and info["name"] == name and info["version"] == cls.version
    assert [c["name"] for c in info["configs"]] == [c.name for c in cls.configs]
    assert set(info["default_configs"]) <= {c.name for c in cls.configs}
    for c in info["configs"]:
        assert c["splits"] and set(c["features"]) == set(c["schema"])
    assert info["options"] == describe(cls.Options)
    assert all({"name", "flag", "type", "default", "choices", "help"} <= set(o) for o in info["options"])
    assert [s["name"] for s in info["sources"]] == [s.name for s in cls.sources]
    assert isinstance(info["endpoints"], dict)


def test_info_json_gives_types_defaults_choices_and_checksums(capsys):
    assert main(["info", "eurlex-sum", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    options = {o["flag"]: o for o in info["options"]}
    assert options["--languages"]["type"] == "list[str]" and options["--languages"]["comma_list"] is True
    assert "mt" in options["--languages"]["choices"] and options["--languages"]["default"] == options[
        "--languages"]["choices"]
    assert options["--split-ids"] == {**options["--split-ids"], "type": "bool", "default": False}
    pinned = {s["name"]: s["sha256"] for s in info["sources"] if s.get("sha256")}
    assert pinned["official-split-ids"] == "6339c3c800018b7fa12c6d76d3ba27c3c43425b11c23c0a7914c557f723981f0"
    en = next(c for c in info["configs"] if c["name"] == "en")
    assert en["features"]["celex_id"] == {"dtype": "string", "_type": "Value"} and en["languages"] == ["en"]
    assert "Aumiller" in info["citation"] and info["license"] == "cc-by-4.0"


def test_info_text_lists_options_with_defaults(capsys):
    assert main(["info", "entity-cs"]) == 0
    out = capsys.readouterr().out
    assert "--streams-per-unit (int): multistream bz2 streams per work unit; default: 20" in out
    assert "--no-mul-fallback (bool)" in out and "manual download:" in out
