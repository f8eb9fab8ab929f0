"""Issue 12 items 6 and 8: one folder per dataset inside the package, the Maltese wing under one roof, torch optional.

    python scripts/restructure.py --root DIR [--dry-run] [--no-ruff] [--allow-dirty]

`--root` is required (no default: the script must never land on a shared tree by accident), and a tree with
uncommitted changes is refused: it moves files that others may be editing. Run it on a clean tree (everyone's
work committed), then the full suite, then commit the result. It is
idempotent: a second run finds everything in place and changes nothing, and a run on a newer tree moves what
is new (e.g. a builder added under the old `builders/` folder after a first run).

What it does, in order:
1. Moves (`git mv`; `__pycache__` folders are deleted first):
   - `builders/` -> `curate/builders/` (`import curate.builders.eurlex_sum`; the wheel then holds only `curate/`);
   - `cards/<name>.md` -> `curate/builders/<snake_name>/card.md` (the card template beside its builder);
   - `curate/etymology/`, `curate/transliteration/` -> `curate/maltese/etymology/`, `curate/maltese/transliteration/`;
   - the Maltese transforms `curate/transforms/{etymology,transliterate,pipelines}.py` -> `curate/maltese/transforms/`
     (`curate.transforms` still exports `EtymologyTagger`, `Transliterator`, `ConditionalPipeline`, lazily);
   - the Maltese commands `curate/commands/{tag,etymology,transliterate}.py` -> `curate/maltese/commands/`
     (the CLI discovers both command packages; command names do not change).
2. Exact edits, each checked against its anchor (a missing anchor whose result is not already there stops the
   script naming the file, so nothing is half-edited silently): registry discovery, card template lookup,
   CLI discovery and the missing-extra message, `pyproject.toml` (packages, the `maltese` extra), the README and
   architecture rows that describe the moved folders.
3. New files: `curate/extras.py` (which extra brings torch/transformers, one clear error), package docstrings
   under `curate/maltese/`, `tests/test_maltese_extra.py`.
4. Rewrites of every import and path reference (the regexes in `REWRITES`, reviewed one by one) in `curate/`,
   `tests/`, `scripts/`, `docs/` (not `docs/notes/`: dated records of past work), `README.md`, `pyproject.toml`.
5. `ruff check --select I --fix` on the rewritten Python files (`builders.x` imports now sort among `curate.*`),
   then a scan that lists any reference to the old places that is left.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

from restructure_text import CODE_EDITS, DOC_EDITS, NEW_FILES, REWRITES

ROOT = Path()  # set from --root

MOVES = [
    ("builders", "curate/builders"),
    ("curate/etymology", "curate/maltese/etymology"),
    ("curate/transliteration", "curate/maltese/transliteration"),
    *((f"curate/transforms/{m}.py", f"curate/maltese/transforms/{m}.py") for m in ("etymology", "transliterate", "pipelines")),
    *((f"curate/commands/{m}.py", f"curate/maltese/commands/{m}.py") for m in ("tag", "etymology", "transliterate")),
]
SCOPE = ("curate", "tests", "scripts", "docs", "README.md", "pyproject.toml", ".ci/run")
SKIP = ("docs/notes/", "scripts/restructure.py", "scripts/restructure_text.py", "curate/data/", "/sample/cassette/")
SUFFIXES = {".py", ".md", ".toml", ".cfg", ".yaml", ".yml", ".sh", ""}
LEFTOVER = re.compile(r"(?<![\w./-])(builders[./](?=[a-z*<]|_[a-z])|cards/)|(?<![\w.])curate[./](etymology|transliteration)\b"
                      r"|(?<![\w.])curate[./]transforms[./](etymology|transliterate|pipelines)\b"
                      r"|(?<![\w.])curate[./]commands[./](tag|etymology|transliterate)\b")


class Failed(Exception):
    pass


def git(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=ROOT, check=check, capture_output=True, text=True)


def tracked(path: Path) -> bool:
    return bool(git("ls-files", "--", str(path.relative_to(ROOT))).stdout.strip())


def move(src: Path, dst: Path, dry: bool, log: list[str]) -> None:
    """`git mv src dst`; when dst already exists (a second run on a newer tree), move what src still holds."""
    if not src.exists():
        return
    for cache in [src] if src.name == "__pycache__" else src.rglob("__pycache__") if src.is_dir() else []:
        if not dry:
            shutil.rmtree(cache, ignore_errors=True)
    if src.is_dir() and not any(src.iterdir()):
        if not dry:
            src.rmdir()
        return
    if dst.exists():
        if src.is_dir() and dst.is_dir():
            for child in sorted(src.iterdir()):
                move(child, dst / child.name, dry, log)
            if not dry and src.exists() and not any(src.iterdir()):
                src.rmdir()
            return
        if src.is_file() and dst.is_file() and src.read_bytes() == dst.read_bytes():
            log.append(f"rm {src.relative_to(ROOT)} (same as {dst.relative_to(ROOT)})")
            if not dry:
                git("rm", "-q", "--", str(src.relative_to(ROOT))) if tracked(src) else src.unlink()
            return
        raise Failed(f"both {src.relative_to(ROOT)} and {dst.relative_to(ROOT)} exist and differ: merge them by hand")
    log.append(f"mv {src.relative_to(ROOT)} -> {dst.relative_to(ROOT)}")
    if dry:
        return
    dst.parent.mkdir(parents=True, exist_ok=True)
    if tracked(src):
        git("mv", "--", str(src.relative_to(ROOT)), str(dst.relative_to(ROOT)))  # renames untracked files too
    else:
        shutil.move(str(src), str(dst))


def move_cards(dry: bool, log: list[str]) -> None:
    cards = ROOT / "cards"
    if not cards.is_dir():
        return
    for card in sorted(cards.glob("*.md")):
        folder = ROOT / "curate" / "builders" / card.stem.replace("-", "_")
        if not folder.is_dir() and not dry:
            raise Failed(f"{card.relative_to(ROOT)}: no builder folder {folder.relative_to(ROOT)} to put it in")
        move(card, folder / "card.md", dry, log)
    if dry:
        return
    rest = [p.name for p in cards.iterdir() if p.name != "__pycache__"] if cards.exists() else []
    if rest:
        raise Failed(f"cards/ still holds {rest}: not card templates of a builder; move them by hand")
    if cards.exists():
        shutil.rmtree(cards)


def in_scope() -> list[Path]:
    listed = git("ls-files", "--cached", "--others", "--exclude-standard", "--", *SCOPE).stdout.splitlines()
    out = []
    for rel in sorted(set(listed)):
        path = ROOT / rel
        if path.is_file() and path.suffix in SUFFIXES and not any(s in f"/{rel}" or rel.startswith(s) for s in SKIP):
            if path.suffix or rel == ".ci/run":
                out.append(path)
    return out


def edit_text(rel: str, text: str, edits: list, strict: bool, warnings: list[str]) -> str:
    for old, new, marker in edits:
        if not new and not marker:
            text = text.replace(old, "", 1)  # a removal: done when the text is gone
            continue
        if (marker or new) in text:
            continue  # done by an earlier run
        if old in text:
            text = text.replace(old, new, 1)
        elif strict:
            raise Failed(f"{rel}: anchor not found (the file changed since this script was written); apply by hand:"
                         f"\n--- old\n{old}\n+++ new\n{new}")
        else:
            warnings.append(f"{rel}: anchor not found; apply by hand:\n--- old\n{old}\n+++ new\n{new}")
    return text


def edit_pyproject(text: str) -> str:
    """torch and transformers leave `dependencies` for the `maltese` extra (pins kept); `test` includes them; the
    wheel holds only `curate*` (builders and card templates are inside it)."""
    text = re.sub(r'^include = \[[^\]\n]*\]', 'include = ["curate*"]', text, count=1, flags=re.M)
    if re.search(r"^maltese = \[", text, re.M):
        return text
    pins = []
    for module in ("torch", "transformers"):
        found = re.search(rf'^    "({module}==[^"]+)",[^\n]*\n', text, re.M)
        if not found:
            raise Failed(f"pyproject.toml: no pinned {module} line in dependencies")
        pins.append(found[1])
        text = text.replace(found[0], "", 1)
    quoted = ", ".join(f'"{p}"' for p in pins)
    for old, new in [("[project.optional-dependencies]\n",
                      "[project.optional-dependencies]\n# the etymology tagger (maltese-* builders, curate tag, curate "
                      f"etymology) and the optional MT step\nmaltese = [{quoted}]\n"),
                     ("\ntest = [", f"\ntest = [{quoted}, ")]:
        if old not in text:
            raise Failed(f"pyproject.toml: anchor {old.strip()!r} not found")
        text = text.replace(old, new, 1)
    return text


def apply_edits(dry: bool, log: list[str], warnings: list[str]) -> None:
    """Exact edits, before the moves and rewrites (so anchors are the text as committed today)."""
    jobs = [(before, after, edits, True) for (before, after), edits in CODE_EDITS.items()]
    jobs += [(rel, rel, edits, False) for rel, edits in DOC_EDITS.items()]
    jobs.append(("pyproject.toml", "pyproject.toml", None, True))
    for before, after, edits, strict in jobs:
        rel = before if (ROOT / before).exists() else after
        path = ROOT / rel
        if not path.exists():
            raise Failed(f"{before}: file not found for its edits")
        text = path.read_text(encoding="utf-8")
        new = edit_pyproject(text) if edits is None else edit_text(rel, text, edits, strict, warnings)
        if new != text:
            log.append(f"edit {rel}")
            if not dry:
                path.write_text(new, encoding="utf-8")


def write_new_files(dry: bool, log: list[str]) -> None:
    for rel, (content, replaces) in NEW_FILES.items():
        path = ROOT / rel
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == content:
            continue
        if current is not None and current not in replaces:
            raise Failed(f"{rel}: exists with content this script does not know; merge by hand")
        log.append(f"write {rel}")
        if not dry:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")


def rewrites() -> list[tuple[re.Pattern, object]]:
    """REWRITES with the builder folder names (old or new place) filled in."""
    folders = sorted({p.name for base in ("builders", "curate/builders") if (ROOT / base).is_dir()
                      for p in (ROOT / base).iterdir() if p.is_dir() and p.name != "__pycache__"})
    names = "|".join(map(re.escape, folders)) or "(?!)"
    return [(re.compile(p.pattern.replace("BUILDER_FOLDERS", names), p.flags), r) for p, r in REWRITES]


def rewrite(dry: bool, log: list[str]) -> list[Path]:
    changed = []
    rules = rewrites()
    for path in in_scope():
        text = path.read_text(encoding="utf-8")
        new = text
        for pattern, replacement in rules:
            new = pattern.sub(replacement, new)
        if new != text:
            changed.append(path)
            log.append(f"rewrite {path.relative_to(ROOT)}")
            if not dry:
                path.write_text(new, encoding="utf-8")
    return changed


def leftovers() -> list[str]:
    found = []
    for path in in_scope():
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if LEFTOVER.search(line):
                found.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    return found


def main(argv: list[str] | None = None) -> int:
    global ROOT
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, required=True, help="repository to restructure")
    parser.add_argument("--dry-run", action="store_true", help="list what would change, change nothing")
    parser.add_argument("--no-ruff", action="store_true", help="do not re-sort imports with ruff")
    parser.add_argument("--allow-dirty", action="store_true", help="run even with uncommitted changes (not on a "
                        "tree others are editing: their files would move under them)")
    args = parser.parse_args(argv)
    ROOT = args.root.resolve()
    dirty = [line for line in git("status", "--porcelain", "--untracked-files=no").stdout.splitlines() if line]
    if dirty and not (args.allow_dirty or args.dry_run):
        print(f"restructure: {ROOT} has uncommitted changes ({len(dirty)} files, e.g. {dirty[0][3:]}); commit them "
              "first, or pass --allow-dirty", file=sys.stderr)
        return 2
    log: list[str] = []
    warnings: list[str] = []
    try:
        apply_edits(args.dry_run, log, warnings)  # anchors are today's text: before any path rewrite
        for src, dst in MOVES:
            move(ROOT / src, ROOT / dst, args.dry_run, log)
        move_cards(args.dry_run, log)
        write_new_files(args.dry_run, log)
        changed = rewrite(args.dry_run, log)
    except Failed as exc:
        print("\n".join(log))
        print(f"restructure: stopped: {exc}", file=sys.stderr)
        return 1
    if changed and not args.dry_run and not args.no_ruff:
        ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff") or "ruff"
        py = [str(p.relative_to(ROOT)) for p in changed if p.suffix == ".py"]
        subprocess.run([ruff, "check", "--quiet", "--select", "I", "--fix", *py], cwd=ROOT, check=False)
    print("\n".join(log) or "restructure: nothing to do (already applied)")
    for warning in warnings:
        print(f"restructure: warning: {warning}")
    left = leftovers()
    if left:
        print("restructure: references to the old places left (review; prose may be fine):", *left, sep="\n  ")
    return 0


if __name__ == "__main__":
    sys.exit(main())
