"""The text of `scripts/restructure.py`: exact edits, new files and the path/import rewrites (reviewed one by one).

Edits are keyed by the file's path before the move, with its path after the move as a fallback, and run before
the rewrites, so anchors are the text as committed. Each is (old, new, marker): done when the marker (default:
new) is already in the file. A code edit whose anchor is missing stops the script; a doc edit only warns."""

from __future__ import annotations

import re

# ---- exact edits: {(path before, path after): [(old, new, marker or None)]} -------------------------------------
CODE_EDITS: dict[tuple[str, str], list[tuple[str, str, str | None]]] = {
    ("curate/registry.py", "curate/registry.py"): [
        ('    import builders\n\n    for info in pkgutil.iter_modules(builders.__path__, prefix="builders."):',
         '    import curate.builders as builders\n\n'
         '    for info in pkgutil.iter_modules(builders.__path__, prefix="curate.builders."):', None),
    ],
    ("curate/builder.py", "curate/builder.py"): [
        ('REPO_ROOT = Path(__file__).resolve().parent.parent\nCARDS_DIR = REPO_ROOT / "cards"\n',
         'REPO_ROOT = Path(__file__).resolve().parent.parent\n', "def card_template(self) -> Path:\n        \"\"\"The"),
        ('    def card_template(self) -> Path:\n        return CARDS_DIR / f"{self.name}.md"\n',
         '    def card_template(self) -> Path:\n'
         '        """The card\'s Jinja2 template: `card.md` beside the builder module (one folder per dataset)."""\n'
         '        import inspect\n\n'
         '        return Path(inspect.getfile(type(self))).resolve().parent / "card.md"\n', None),
    ],
    ("curate/cli.py", "curate/cli.py"): [
        ("Thin: each command is one module in `curate/commands/` exposing\n`register(subparsers)`; this file only "
         "discovers them and",
         "Thin: each command is one module in `curate/commands/` (the Maltese\nones in `curate/maltese/commands/`) "
         "exposing `register(subparsers)`; this file only discovers them\nand", None),
        ("    import curate.commands\n", "    import curate.commands\n    import curate.maltese.commands\n", None),
        ('    for info in sorted(pkgutil.iter_modules(curate.commands.__path__), key=lambda m: m.name):\n'
         '        module = importlib.import_module(f"curate.commands.{info.name}")\n'
         '        module.register(sub)\n',
         "    packages = (curate.commands, curate.maltese.commands)\n"
         '    found = sorted((info.name, f"{package.__name__}.{info.name}") for package in packages\n'
         "                   for info in pkgutil.iter_modules(package.__path__))\n"
         "    for _, module in found:  # by command name, wherever it lives\n"
         "        importlib.import_module(module).register(sub)\n", None),
        ('    except CurateError as exc:\n        print(f"curate {args.command}: error: {exc}", file=sys.stderr)\n'
         '        return 2\n',
         '    except CurateError as exc:\n        print(f"curate {args.command}: error: {exc}", file=sys.stderr)\n'
         '        return 2\n'
         '    except ModuleNotFoundError as exc:\n'
         '        from curate.extras import missing_extra\n\n'
         '        missing = missing_extra(exc, f"curate {args.command}")  # torch without the maltese extra\n'
         '        if missing is None:\n'
         '            raise\n'
         '        print(f"curate {args.command}: error: {missing}", file=sys.stderr)\n'
         '        return 2\n', None),
    ],
    ("curate/errors.py", "curate/errors.py"): [
        ('class BuilderDefinitionError(CurateError):\n',
         'class MissingExtraError(CurateError, ImportError):\n'
         '    """An optional dependency is not installed: names the module and the pip extra that brings it."""\n\n'
         '    def __init__(self, what: str, module: str, extra: str):\n'
         '        super().__init__(f"{what} needs {module}, which is not installed: pip install \'curate[{extra}]\'")\n'
         '        self.module, self.extra = module, extra\n\n\n'
         'class BuilderDefinitionError(CurateError):\n', "class MissingExtraError(CurateError, ImportError):"),
    ],
    ("curate/transforms/etymology.py", "curate/maltese/transforms/etymology.py"): [
        ("    def engine(self):\n        if self._engine is None:\n",
         "    def engine(self):\n        if self._engine is None:\n"
         "            from curate.extras import require\n\n"
         '            require("the etymology tagger")  # one clear error without the maltese extra\n', None),
    ],
    ("curate/transforms/translate.py", "curate/transforms/translate.py"): [
        ("        import torch\n        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer\n",
         "        from curate.extras import require\n\n"
         '        require("the translation step (Seq2SeqTranslator)")\n'
         "        import torch\n        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer\n", None),
    ],
}

README_EDITS = [
    ("Build the embedded default dataset (offline, from a fresh clone, Python 3.11):",
     "Build the embedded default dataset (offline, from a fresh clone, Python 3.11; the `maltese` extra brings the\n"
     "torch its tagger needs):", None),
    (".venv/bin/pip install -e . && .venv/bin/curate build maltese-etymology",
     ".venv/bin/pip install -e '.[maltese]' && .venv/bin/curate build maltese-etymology", None),
    ("`torch` is pinned to `torch==2.13.0` in `pyproject.toml` (an unpinned torch pulls several GB of CUDA wheels).",
     "`torch` (pinned `torch==2.13.0`: an unpinned torch pulls several GB of CUDA wheels) and `transformers` are the\n"
     "`maltese` extra: the etymology tagger, the `maltese-*` builders, `curate tag`, `curate etymology` and the\n"
     "optional MT step need them. `pip install -e .` alone builds `eurlex-sum`, `entity-cs` and `clef-queries`; a\n"
     "command that needs torch without it says `pip install 'curate[maltese]'`. The `test` extra includes it.", None),
    ("| `curate/card.py`, `cards/` | card rendering and per-builder templates |",
     "| `curate/card.py` | card rendering from each builder's `card.md` template |", None),
    ("| `curate/etymology/`, `curate/transliteration/`, `curate/maltese/`, `curate/formats/` | the tagger, the "
     "transliterator, Maltese resources, shared readers |",
     "| `curate/maltese/` | the Maltese wing (torch: extra `curate[maltese]`): `etymology/` (the tagger), "
     "`transliteration/`, `transforms/`, `commands/` (`tag`, `etymology`, `transliterate`), `resources.py` |\n"
     "| `curate/formats/` | shared readers |", None),
    ("| `builders/<name>/` | one package per dataset: builder, parsers, `sample/` fixtures |",
     "| `curate/builders/<name>/` | one package per dataset: builder, parsers, `card.md` (card template), "
     "`sample/` fixtures |", None),
    ("is one package in `builders/` plus a card template and a test;",
     "is one package in `curate/builders/` (builder, `card.md`, `sample/`) and a test;", None),
]

ARCHITECTURE_EDITS = [
    ("| `curate/maltese/`, `curate/etymology/`, `curate/transliteration/` | Maltese resources, the tagger, the "
     "transliterator |",
     "| `curate/maltese/` | the Maltese wing, behind the `maltese` extra (torch, transformers): `resources.py`, "
     "`etymology/` (the tagger), `transliteration/`, `transforms/` (`EtymologyTagger`, `Transliterator`, "
     "`ConditionalPipeline`, exported by `curate.transforms`), `commands/` (`tag`, `etymology`, `transliterate`) |\n"
     "| `curate/extras.py` | which pip extra brings which optional module; the error naming "
     "`pip install 'curate[maltese]'` |", None),
    ("| `builders/<name>/` | one package per dataset: `__init__.py` (the builder), parser modules, `sample/` "
     "(fixtures) |",
     "| `curate/builders/<name>/` | one package per dataset: `__init__.py` (the builder), parser modules, `card.md` "
     "(card template, Jinja2), `sample/` (fixtures) |", None),
    ("| `cards/<name>.md` | dataset card template (Jinja2) per builder |\n", "", None),
    ("| `curate/transforms/` | one small module per transform family, all on `Transform` (`base.py`) |",
     "| `curate/transforms/` | one small module per transform family, all on `Transform` (`base.py`); the Maltese "
     "ones live in `curate/maltese/transforms/` |", None),
]

DOC_EDITS = {"README.md": README_EDITS, "docs/architecture.md": ARCHITECTURE_EDITS}

# ---- new files: {path: (content, contents it may replace)} -----------------------------------------------------
EXTRAS_PY = '''"""Optional dependencies: which pip extra brings which module, and one clear error when it is missing.

torch and transformers are the `maltese` extra: the etymology tagger (the `maltese-*` builders, `curate tag`,
`curate etymology`) and the optional MT step (`Seq2SeqTranslator`) need them; nothing else imports them, so
`pip install curate` builds eurlex-sum, entity-cs and clef-queries without several GB of wheels."""

from __future__ import annotations

import importlib

from curate.errors import MissingExtraError

EXTRA_OF = {"torch": "maltese", "transformers": "maltese"}


def missing_extra(exc: ImportError, what: str) -> MissingExtraError | None:
    """The clear error for `exc` when it is an optional module that is not installed, else None."""
    top = (getattr(exc, "name", None) or "").split(".")[0]
    return MissingExtraError(what, top, EXTRA_OF[top]) if top in EXTRA_OF else None


def require(what: str, modules: tuple[str, ...] = ("torch", "transformers")) -> None:
    """Import `modules` now, so that `what` fails with `MissingExtraError` (naming the pip extra) before any
    work starts rather than with a traceback halfway through it."""
    for module in modules:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            missing = missing_extra(exc, what)
            if missing is None:
                raise
            raise missing from None
'''

MALTESE_INIT = '''"""The Maltese wing, under one roof and behind the `maltese` extra (torch, transformers).

| `resources.py` | shipped tables and labels (MLRS/malti, MIT; UD_Maltese-MUDT, CC BY-SA 4.0) |
| `etymology/` | the etymology tagger: model, training, cross-validation, batched inference |
| `transliteration/` | Maltese->Arabic transliteration (pure Python: works without the extra) |
| `transforms/` | `EtymologyTagger`, `Transliterator`, `ConditionalPipeline` (also exported by `curate.transforms`) |
| `commands/` | `curate tag`, `curate etymology`, `curate transliterate` (discovered by `curate.cli`) |

Without the extra, whatever needs torch stops with `curate.errors.MissingExtraError` naming
`pip install 'curate[maltese]'` (`curate.extras`)."""
'''
MALTESE_INIT_BEFORE = ('"""Maltese resources shipped inside the package (MIT, MLRS/malti; CC BY-SA 4.0, '
                       'UD_Maltese-MUDT)."""\n')

MALTESE_TRANSFORMS_INIT = '''"""The Maltese transforms; import them from `curate.transforms` (`EtymologyTagger`, `Transliterator`,
`ConditionalPipeline`, `PIPELINE_PRESETS`), which loads each lazily."""
'''

MALTESE_COMMANDS_INIT = '''"""The Maltese commands (`curate tag`, `curate etymology`, `curate transliterate`): one module each, exposing
`register(subparsers)`, discovered by `curate.cli` beside `curate.commands`."""
'''

TEST_MALTESE_EXTRA = '''"""Without torch (the `maltese` extra) the Maltese commands, the tagger and the maltese-etymology build stop with
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
            f"raise ModuleNotFoundError(\\"No module named '{module}'\\", name=\\"{module}\\")\\n", encoding="utf-8")
    path = os.pathsep.join(filter(None, [str(blocker), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, "CURATE_CACHE": str(tmp_path / "cache")}


def run(args: list[str], env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", CLI, *args], input=stdin, capture_output=True, text=True, env=env,
                          timeout=300)


@pytest.mark.parametrize("args", [["tag"], ["etymology", "eval", "--folds", "2", "--max-sentences", "4"]])
def test_maltese_command_without_torch_names_the_extra(no_torch, args):
    proc = run(args, no_torch, stdin="Il-kelb jiekol il-laham.\\n")
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert HINT in proc.stderr and "torch" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_tagger_build_without_torch_names_the_extra_and_translit_still_works(no_torch, tmp_path):
    proc = run(["build", "maltese-etymology", "--config", "mudt", "--sample", "--out", str(tmp_path / "out")],
               no_torch)
    assert proc.returncode != 0
    assert HINT in proc.stderr, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    proc = run(["transliterate"], no_torch, stdin="kelb\\n")  # pure Python: no extra needed
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.startswith("kelb\\t") and len(proc.stdout.strip().split("\\t")[1]) > 0


def test_tagger_transform_without_torch_raises_missing_extra(no_torch):
    probe = ("from curate.errors import MissingExtraError\\n"
             "from curate.transforms import EtymologyTagger\\n"
             "try:\\n    EtymologyTagger()({'tokens': ['kelb']})\\n"
             "except MissingExtraError as exc:\\n    print('MISSING', exc)\\n")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=no_torch, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.startswith("MISSING the etymology tagger needs torch") and HINT in proc.stdout
'''

NEW_FILES: dict[str, tuple[str, tuple[str, ...]]] = {
    "curate/extras.py": (EXTRAS_PY, ()),
    "curate/maltese/__init__.py": (MALTESE_INIT, (MALTESE_INIT_BEFORE,)),
    "curate/maltese/transforms/__init__.py": (MALTESE_TRANSFORMS_INIT, ()),
    "curate/maltese/commands/__init__.py": (MALTESE_COMMANDS_INIT, ()),
    "tests/test_maltese_extra.py": (TEST_MALTESE_EXTRA, ()),
}

# ---- rewrites, in order; each is idempotent (its output never matches it again) ----------------------------------
REWRITES: list[tuple[re.Pattern, object]] = [
    # `import builders` (registry, `curate new`) keeps its local name
    (re.compile(r"^(\s*)import builders$", re.M), r"\1import curate.builders as builders"),
    (re.compile(r"\bfrom builders import\b"), "from curate.builders import"),
    # dotted module paths `builders.eurlex_sum...`; not `curate.builders`, not `builders.__path__`, not `all_builders.`
    (re.compile(r"(?<![\w.])builders\.(?=[a-z]|_[a-z])"), "curate.builders."),
    # file paths `builders/eurlex_sum/...`, `builders/<name>/`, `builders/*`, `builders/`; not `curate/builders/`, not
    # prose such as "unknown builders/configs/options" (BUILDER_FOLDERS is filled in with the folder names found)
    (re.compile(r"(?<![\w./-])builders/(?=<|\*|`|\s|$|(?:BUILDER_FOLDERS)\b)", re.M), "curate/builders/"),
    # pathlib `REPO / "builders" / ...` and os.path.join(..., "builders", ...)
    (re.compile(r'(?<!"curate" / )"builders"(?=\s*/)'), '"curate" / "builders"'),
    (re.compile(r'(?<!"curate", )"builders"(?=,)'), '"curate", "builders"'),
    # card templates: `cards/eurlex-sum.md` -> `curate/builders/eurlex_sum/card.md`, `cards/<name>.md` likewise
    (re.compile(r"(?<![\w./-])cards/([a-z0-9][a-z0-9-]*)\.md"), lambda m: f"curate/builders/{m[1].replace('-', '_')}/card.md"),
    (re.compile(r"(?<![\w./-])cards/<(\w+)>\.md"), r"curate/builders/<\1>/card.md"),
    # the Maltese wing: curate.etymology / curate/transliteration / curate.transforms.etymology / curate.commands.tag
    (re.compile(r"(?<![\w.])curate([./])(etymology|transliteration)\b"), r"curate\1maltese\1\2"),
    (re.compile(r"(?<![\w.])curate([./])transforms\1(etymology|transliterate|pipelines)\b"), r"curate\1maltese\1transforms\1\2"),
    (re.compile(r"(?<![\w.])curate([./])commands\1(tag|etymology|transliterate)\b"), r"curate\1maltese\1commands\1\2"),
    # files that find siblings by climbing from __file__: one level deeper now
    (re.compile(r'DEFAULT_MODEL_DIR = Path\(__file__\)\.resolve\(\)\.parent\.parent / "models"'),
     'DEFAULT_MODEL_DIR = Path(__file__).resolve().parents[2] / "models"'),
    (re.compile(r"sys\.path\.insert\(0, str\(HERE\.parents\[2\]\)\)"), "sys.path.insert(0, str(HERE.parents[3]))"),
]
