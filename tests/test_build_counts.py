"""`ctx.count`: what a builder notes without leaving anything out reaches the manifest's `counts`, from
work units and from the listing (prepare/work_units), separate from `skipped`."""

from curate.build import build
from curate.builder import BuildContext
from curate.run import BuildOptions
from tests.slow_builder import SlowCounting


class NotingBuilder(SlowCounting):
    name = "test-noting"

    def work_units(self, ctx: BuildContext) -> list[str]:
        ctx.count("units_listed", 3)
        return ["unit-0", "unit-1", "unit-2"]

    def generate(self, unit: str, ctx: BuildContext):
        for config, split, record in super().generate(unit, ctx):
            ctx.count("values_seen")
            if record["value"] % 50 == 0:
                ctx.skip("multiple_of_50")
                continue
            yield config, split, record


def test_counts_reach_the_manifest_apart_from_skips(tmp_path, monkeypatch):
    monkeypatch.delenv("SLOW_LOG", raising=False)
    result = build(NotingBuilder(), ["default"], BuildOptions(out_dir=tmp_path / "out", progress=False, workers=2))
    entry = result["manifest"]["configs"]["default"]
    rows = sum(s["rows"] for s in entry["splits"].values())
    skipped = entry["skipped"]["multiple_of_50"]  # of the records the parent yields (it skips multiples of 7)
    assert skipped > 0 and entry["counts"] == {"units_listed": 3, "values_seen": rows + skipped}
    assert set(entry["skipped"]) == {"multiple_of_seven", "multiple_of_50"}  # counts never leak into skips
