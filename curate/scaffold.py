"""`curate new NAME`: the files of a new builder folder, in the shape every builder here has.

The scaffold is a working builder for JSON Lines input (`{"id": ..., "text": ..., "split": ...}` per line):
an options dataclass, a card template beside the builder, a `sample/` folder whose README says what to put
there, `expected.json` for the builder harness, and a test. It builds nothing until the sample holds real
records (it says so, naming the folder); the author then replaces the parsing with the real source's.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from curate.errors import OptionError

NAME = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")

BUILDER = '''"""`{name}`: FILL IN one paragraph on what the dataset is, where it comes from and how it is built."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import datasets

from curate.builder import BuildContext, Builder, BuilderConfig, Source
from curate.errors import InputFormatError, ManualDownloadError

from .options import {cls}Options

INSTRUCTIONS = """Put the JSON Lines files of {name} (one {{"id", "text", "split"}} object per line) in a folder
and pass it with --manual-dir."""


class {cls}(Builder):
    name = "{name}"
    version = "0.1.0"
    description = "FILL IN: what one row is, in one sentence (shown by `curate list` and on the card)."
    homepage = ""
    license = ""  # the Hub's licence id, e.g. cc-by-4.0
    citation = ""
    languages: tuple[str, ...] = ()
    configs = [BuilderConfig("default", "every record of the source")]
    splits = ("train", "test")
    sources = [Source("{name}-files", manual=True, description="JSON Lines files given with --manual-dir")]
    manual_download_instructions = INSTRUCTIONS
    id_field = "id"
    Options = {cls}Options

    def features(self, config: BuilderConfig) -> datasets.Features:
        return datasets.Features({{"id": datasets.Value("string"), "text": datasets.Value("string")}})

    def card_template(self) -> Path:
        return Path(__file__).resolve().parent / "card.md"

    def _folder(self, ctx: BuildContext) -> Path:
        if ctx.sample:
            return self.sample_dir()
        if ctx.manual_dir is None or not ctx.manual_dir.is_dir():
            raise ManualDownloadError(INSTRUCTIONS)
        return ctx.manual_dir

    def work_units(self, ctx: BuildContext) -> list[str]:
        files = sorted(p.name for p in self._folder(ctx).glob("*.jsonl"))
        if not files:
            raise ManualDownloadError(f"no .jsonl file in {{self._folder(ctx)}}" + (
                " (fill the sample: see its README.md)" if ctx.sample else f"\\n{{INSTRUCTIONS}}"))
        return files  # one unit per file, in name order: the shards do not depend on the worker count

    def generate(self, unit: str, ctx: BuildContext) -> Iterator[tuple[str, str, dict]]:
        """`(config, split, record)` for one unit (this builder has one config per pass: ctx.config)."""
        path = self._folder(ctx) / unit
        with path.open(encoding="utf-8") as f:
            lineno = 0
            try:
                for lineno, line in enumerate(f, start=1):  # noqa: B007 (reported on decode errors)
                    if line.strip():
                        yield from self._record(path, lineno, line, ctx)
            except UnicodeDecodeError as exc:
                raise InputFormatError(path, lineno + 1, f"not UTF-8 ({{exc.reason}})") from None

    def _record(self, path: Path, lineno: int, line: str, ctx: BuildContext) -> Iterator[tuple[str, str, dict]]:
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputFormatError(path, lineno, f"not JSON: {{exc.msg}}") from None
        if not isinstance(record, dict) or not isinstance(record.get("text"), str) or "id" not in record:
            raise InputFormatError(path, lineno, 'expected an object with "id" and "text" (a string)')
        split = record.get("split", "train")
        if split not in self.splits:
            raise InputFormatError(path, lineno, f"split {{split!r}} is not one of {{', '.join(self.splits)}}")
        text = record["text"].strip()
        if len(text) < ctx.options.min_chars:
            ctx.skip("text_too_short")  # a permanent property of the record: counted, never silent
            return
        yield ctx.config.name, split, {{"id": str(record["id"]), "text": text}}
'''

OPTIONS = '''"""`curate build {name}` flags, declared once: curate.options makes the flags, checks and fingerprint."""

from __future__ import annotations

from dataclasses import dataclass

from curate.options import BuilderOptions, option


@dataclass(frozen=True)
class {cls}Options(BuilderOptions):
    min_chars: int = option(1, minimum=0, help="texts shorter than this are skipped (counted as text_too_short)")
'''

CARD = '''# {name}

{{{{ builder.description }}}}

Built with [curate](https://github.com/curate-nlp/curate): `curate build {name} --manual-dir DIR --out OUT`.

FILL IN: where the data comes from, how rows are made, what is left out and why (the manifest counts every
skipped record by reason), known limitations.

## Statistics (computed at build time)

{{{{ stats_table }}}}

## Licence

FILL IN: the source's licence and what it asks of users.

## Citation

```bibtex
{{{{ builder.citation }}}}
```
'''

SAMPLE_README = '''# {name} sample fixtures

`curate build {name} --sample` builds from this folder, and the builder harness
(`tests/test_every_builder.py`) runs every registered builder's sample build. To fill it:

1. Put a few **real** records of the source here as `*.jsonl` files (one JSON object per line with `id`, `text`
   and `split`: `train` or `test`), enough to reach every split and every skip reason. Never invent data: copy
   it, and record where it came from (repository or URL, path, commit or date, licence) in `SOURCE.md`.
2. Build it: `curate build {name} --sample --out /tmp/{name}` and check the rows and the skip counts it prints.
3. Write the rows per config and split into `expected.json`, e.g. `{{"default": {{"train": 3, "test": 1}}}}`.
4. Run `pytest tests/test_every_builder.py -k {name}` and `pytest {test_path}`.
'''

TEST = '''"""{name}: the sample build and the builder's own input checks (the generic checks are in the harness)."""

from __future__ import annotations

import json
from pathlib import Path

import datasets
import pytest

from curate.build import build
from curate.builder import BuildContext
from curate.errors import InputFormatError
from curate.run import BuildOptions

from . import {cls}

SAMPLE = Path(__file__).resolve().parent / "sample"


def test_sample_build_gives_the_expected_rows(tmp_path):
    expected = json.loads((SAMPLE / "expected.json").read_text())
    result = build({cls}(), None, BuildOptions(out_dir=tmp_path, sample=True, progress=False))
    for config, splits in expected.items():
        rows = {{s: i["rows"] for s, i in result["manifest"]["configs"][config]["splits"].items()}}
        assert rows == splits
        assert datasets.load_from_disk(str(tmp_path / config)).num_rows == splits


def test_a_malformed_line_names_its_file_and_line(tmp_path):
    (tmp_path / "bad.jsonl").write_text('{{"id": 1, "text": "fine"}}\\n{{"id": 2, "text": \\n')
    builder = {cls}()
    ctx = BuildContext(config=builder.config(None), out_dir=tmp_path, manual_dir=tmp_path, options=builder.Options())
    with pytest.raises(InputFormatError, match="bad.jsonl:2: not JSON"):
        list(builder.generate("bad.jsonl", ctx))
'''


def scaffold(name: str, root: Path) -> list[Path]:
    """Write the builder folder `root/<package>` for `name`; returns the files written."""
    if not NAME.fullmatch(name):
        raise OptionError(f"builder name {name!r}: use lower-case letters, digits and single hyphens "
                          "(e.g. my-corpus), starting with a letter")
    package = name.replace("-", "_")
    folder = root / package
    if folder.exists():
        raise OptionError(f"{folder} already exists; choose another name or remove it")
    if not root.is_dir():
        raise OptionError(f"--path {root}: no such folder")
    cls = "".join(part.capitalize() for part in name.split("-"))
    test_name = f"test_{package}.py"
    files = {
        "__init__.py": BUILDER.format(name=name, cls=cls),
        "options.py": OPTIONS.format(name=name, cls=cls),
        "card.md": CARD.format(name=name),
        test_name: TEST.format(name=name, cls=cls),
        "sample/README.md": SAMPLE_README.format(name=name, test_path=f"{folder}/{test_name}"),
        "sample/expected.json": json.dumps({"default": {}}, indent=2) + "\n",
    }
    written = []
    for rel, text in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
