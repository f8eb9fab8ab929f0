"""`ctx.count`: what a builder notes without leaving anything out reaches the manifest's `counts`, from
work units and from the listing (work_units), apart from `skipped`."""

from curate.build import build
from curate.registry import get_builder
from curate.run import BuildOptions


def test_counts_reach_the_manifest_apart_from_skips(slow_env, monkeypatch):
    monkeypatch.setenv("CURATE_SLOW_COUNT", "1")  # CURATE_*: workers of an older forkserver adopt it
    monkeypatch.setenv("SLOW_UNITS", "3")
    opts = BuildOptions(out_dir=slow_env / "out", progress=False, workers=2)
    entry = build(get_builder("test-slow-counting"), ["default"], opts)["manifest"]["configs"]["default"]
    rows = sum(s["rows"] for s in entry["splits"].values())
    assert rows > 0 and entry["counts"] == {"rows_given": rows, "units_listed": 3}
    assert set(entry["skipped"]) == {"multiple_of_seven"}  # counts never leak into skips
