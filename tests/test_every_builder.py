"""The harness every registered builder passes (in the spirit of tfds's `DatasetBuilderTestCase`).

For each builder, its `--sample` build of every config listed in `curate/builders/<name>/sample/expected.json`
(`{config: {split: rows}}`, as `curate new` writes it): row counts as expected; `load_from_disk` and `load_dataset(DIR, config)` read it; the card's YAML parses and
its `configs`/`dataset_info` match the shards; every manifest sha256 matches its file; a `--workers 1` build
interrupted mid-unit and rerun gives the bytes of the `--workers 2` build; no id is in two splits. A new builder gets all of this by adding `sample/expected.json`. Builds see nothing outside the
repository (no shared data folder: `CURATE_HC4_DIR` points nowhere), as on a clean CI clone.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest
import yaml
from conftest import shard_hashes

from curate.cli import main
from curate.registry import all_builders, get_builder

# Every registered builder except those that test modules define for their own tests (the registry sees any
# Builder subclass once its module is imported, and other test files are imported before this one).
TESTS_DIR = Path(__file__).resolve().parent


def _defined_in_tests(cls: type) -> bool:
    return Path(sys.modules[cls.__module__].__file__).resolve().is_relative_to(TESTS_DIR)


NAMES = sorted(name for name, cls in all_builders().items() if not _defined_in_tests(cls))


def expected(name: str) -> dict[str, dict[str, int]]:
    path = get_builder(name).sample_dir() / "expected.json"
    if not path.exists():
        pytest.fail(f"{name}: add {path} (rows per config and split of the sample build)")
    return json.loads(path.read_text())


def command(name: str, out: Path, *extra: str) -> list[str]:
    configs = [a for c in expected(name) for a in ("--config", c)]
    return ["build", name, "--sample", "--out", str(out), "--no-progress", *configs, *extra]


@pytest.fixture(scope="module", autouse=True)
def repository_only(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CURATE_HC4_DIR", str(tmp_path_factory.mktemp("no-shared-data") / "hc4"))
        yield


@pytest.fixture(scope="module", params=NAMES)
def built(request, tmp_path_factory, repository_only) -> tuple[str, Path]:
    name = request.param
    out = tmp_path_factory.mktemp(name) / "out"
    assert main(command(name, out, "--workers", "2")) == 0
    return name, out


def _manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())


def test_rows_match_expected_json(built):
    name, out = built
    rows = {c: {s: v["rows"] for s, v in e["splits"].items()} for c, e in _manifest(out)["configs"].items()}
    assert rows == expected(name)


def test_every_manifest_sha256_matches_its_file(built):
    _, out = built
    for entry in _manifest(out)["configs"].values():
        for split in entry["splits"].values():
            for shard in split["shards"]:
                data = (out / shard["path"]).read_bytes()
                assert (len(data), hashlib.sha256(data).hexdigest()) == (shard["bytes"], shard["sha256"])


def test_load_from_disk_and_load_dataset(built, tmp_path, monkeypatch):
    import datasets
    import datasets.config

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf-cache")
    _, out = built
    configs = _manifest(out)["configs"]
    for config, entry in configs.items():
        dd = datasets.load_from_disk(str(out / config))
        assert {s: dd[s].num_rows for s in dd} == {s: v["rows"] for s, v in entry["splits"].items()}
    # load_dataset through the card's `configs:` (a few configs: each call costs a second)
    for config in [c for c, e in configs.items() if any(v["rows"] for v in e["splits"].values())][:2]:
        loaded = datasets.load_dataset(str(out), config)
        assert {s: loaded[s].num_rows for s in loaded} == {
            s: v["rows"] for s, v in configs[config]["splits"].items() if v["rows"]}


def test_card_yaml_matches_the_shards(built):
    _, out = built
    meta = yaml.safe_load((out / "README.md").read_text().split("---")[1])
    configs = _manifest(out)["configs"]
    listed = {c["config_name"]: c for c in meta["configs"]}
    assert set(listed) <= set(configs) and listed, "the card lists configs that were not built"
    for name, card_config in listed.items():
        for files in card_config["data_files"]:
            assert sorted(out.glob(files["path"])), f"{files['path']} matches no shard"
            assert configs[name]["splits"][files["split"]]["rows"] > 0
    info = meta.get("dataset_info", [])
    for item in info if isinstance(info, list) else [info]:
        splits = {s["name"]: s["num_examples"] for s in item.get("splits", [])}
        entry = configs[item.get("config_name", next(iter(configs)))]
        assert splits == {s: v["rows"] for s, v in entry["splits"].items() if s in splits}


def test_no_id_in_two_splits(built):
    import datasets

    name, out = built
    builder = get_builder(name)
    if builder.id_field is None:
        pytest.skip(f"{name} declares no id_field")
    for config in _manifest(out)["configs"]:
        dd = datasets.load_from_disk(str(out / config))
        seen: dict[str, str] = {}
        for split in dd:
            if builder.id_field not in dd[split].column_names:
                continue
            for key in set(dd[split][builder.id_field]):
                assert seen.setdefault(key, split) == split, f"{config}: {key} in {seen[key]} and {split}"


def test_one_worker_interrupted_then_resumed_gives_the_bytes_of_two_workers(built, tmp_path, monkeypatch):
    """Ctrl-C after the first record (its unit's part files half written, no done marker); the rerun of the
    same command must redo that unit, and the shards must equal those of the undisturbed `--workers 2`
    build (one pair of builds checks both worker-count independence and resume)."""
    name, out = built
    cls = type(get_builder(name))
    original = cls.generate
    fired: list[str] = []

    def interrupted(self, unit, ctx):
        for item in original(self, unit, ctx):
            yield item
            if not fired:
                fired.append(unit)
                raise KeyboardInterrupt

    monkeypatch.setattr(cls, "generate", interrupted)
    assert main(command(name, tmp_path / "o")) == 130 and fired
    monkeypatch.setattr(cls, "generate", original)
    assert main(command(name, tmp_path / "o")) == 0
    assert shard_hashes(tmp_path / "o") == shard_hashes(out)
