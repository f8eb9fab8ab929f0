"""A tiny builder for runner tests (resume after kill -9, worker-count determinism); loaded through
CURATE_EXTRA_BUILDERS so subprocesses and datatrove workers find it too."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import datasets

from curate.builder import BuildContext, Builder, BuilderConfig


class SlowCounting(Builder):
    name = "test-slow-counting"
    version = "0.1.0"
    description = "Numbers in work units; logs every unit it generates to $SLOW_LOG."
    configs = [BuilderConfig("default"), BuilderConfig("other", description="same rows; for multi-config tests")]
    default_configs = ("default",)
    splits = ("train", "test")
    id_field = "id"

    def features(self, config: BuilderConfig) -> datasets.Features:
        return datasets.Features({"id": datasets.Value("string"), "value": datasets.Value("int64"),
                                  "text": datasets.Value("string")})

    def work_units(self, ctx: BuildContext) -> list[str]:
        units = [f"unit-{i}" for i in range(int(os.environ.get("SLOW_UNITS", "6")))]
        if os.environ.get("CURATE_SLOW_COUNT"):  # `ctx.count` from the listing (tests/test_build_counts.py)
            ctx.count("units_listed", len(units))
        return units

    def generate(self, unit: str, ctx: BuildContext):
        log = os.environ.get("SLOW_LOG")
        if log:
            with open(log, "a") as f:
                f.write(unit + "\n")
        k = int(unit.split("-")[1])
        if os.environ.get("SLOW_FAIL_CONFIG") == ctx.config.name and k == 3:
            from curate.errors import InputFormatError

            # a subclass whose constructor takes (path, line, message): it must cross process boundaries
            raise InputFormatError(f"{unit}.xml", 7, f"simulated bad input in {ctx.config.name}/{unit}")
        kill_marker = os.environ.get("SLOW_KILL_MARKER")
        for j in range(200):
            if kill_marker and k == 3 and j == 100 and not Path(kill_marker).exists():
                Path(kill_marker).touch()
                # kill -9 the whole build (datatrove's helper processes too), mid-unit: part files half written
                os.killpg(os.getpgid(0), signal.SIGKILL)
            if j % 50 == 0:
                time.sleep(float(os.environ.get("SLOW_SLEEP", "0")))
            if j % 7 == 0:
                ctx.skip("multiple_of_seven")
                continue
            if os.environ.get("CURATE_SLOW_COUNT"):
                ctx.count("rows_given")
            yield ctx.config.name, ("test" if j % 5 == 0 else "train"), {"id": f"{unit}/{j}", "value": k * 1000 + j,
                                                        "text": f"row {j} of {unit} " * 3}
