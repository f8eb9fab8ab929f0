"""torch and transformers are only needed by the Maltese tagger and the MT step (issue 12 item 8): importing
curate, `curate list`, `curate info` and the sample builds of the generic builders never import them.

Checked in a fresh interpreter (this test process may already hold torch from other tests), by reading its
`sys.modules` after the commands ran. The test does not depend on where the builders live, so it holds before
and after the restructure of issue 12 moved them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

PROBE = r"""
import json, sys
from curate.cli import main

out = sys.argv[1]
codes = {}
after_import = sorted(m for m in ("torch", "transformers") if m in sys.modules)
codes["list"] = main(["list"])
codes["info"] = main(["info", "eurlex-sum"])
for name in ("clef-queries", "eurlex-sum", "entity-cs"):
    codes[name] = main(["build", name, "--sample", "--out", f"{out}/{name}"])
loaded = sorted(m for m in ("torch", "transformers") if m in sys.modules)
print("PROBE " + json.dumps({"codes": codes, "after_import": after_import, "loaded": loaded}))
"""


def test_generic_commands_and_builds_never_import_torch(tmp_path):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "CURATE_CACHE": str(tmp_path / "cache")}
    proc = subprocess.run([sys.executable, "-c", PROBE, str(tmp_path / "out")], capture_output=True, text=True,
                          env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith("PROBE "))
    report = json.loads(line[len("PROBE "):])
    assert report["codes"] == {"list": 0, "info": 0, "clef-queries": 0, "eurlex-sum": 0,
                               "entity-cs": 0}, proc.stderr[-3000:]
    assert report["after_import"] == []
    assert report["loaded"] == [], f"a generic command imported {report['loaded']}"
    for name in ("clef-queries", "eurlex-sum", "entity-cs"):
        assert (tmp_path / "out" / name / "manifest.json").is_file()
