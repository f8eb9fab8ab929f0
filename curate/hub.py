"""`curate push`: a finished build folder to a Hugging Face Hub dataset repo, in commits of bounded size.

Each Arrow shard `DIR/<config>/<split>/data-0000i-of-0000N.arrow` becomes
`data/<config>/<split>-0000i-of-0000N.parquet` (Parquet is what the dataset viewer and `load_dataset`
read natively; the `huggingface` schema metadata, i.e. the features, is kept). The card `DIR/README.md` is
uploaded with its YAML `configs:` rewritten to point at those files (the local build is not touched), plus
`manifest.json` for provenance and the card's plots. Everything is checked before anything is sent: every
shard against the manifest's sha256, the token's write access, the revision, the card's redistribution terms.
The upload itself (`curate.hub_commit`) is resumable: rerunning an interrupted push sends only what is missing.
Token: `HF_TOKEN` or the saved login (`huggingface_hub.get_token()`); never printed. Endpoint: `HF_ENDPOINT`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from curate.errors import CurateError, InputFormatError
from curate.io import file_sha256
from curate.manifest import MANIFEST, Manifest

ROW_GROUP_BYTES = 64 * 1024 * 1024  # row groups of at most ~64 MB of Arrow data: the viewer pages by row group


@dataclass(frozen=True)
class UploadFile:
    """One file of the repo: a Parquet conversion of an Arrow shard (`rows` set) or a file sent as is."""

    path_in_repo: str
    local_path: Path
    size: int  # bytes on disk here (for a shard: the Arrow size; the Parquet file is written when it is sent)
    sha256: str
    rows: int | None = None


def arrow_to_parquet(shard: Path, target: Path) -> int:
    """Convert one Arrow IPC stream shard to Parquet, streaming batches; returns the row count.

    Same shard, same pyarrow: same bytes, which is what lets an interrupted push recognise its own files."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from curate.shards import read_batches

    target.parent.mkdir(parents=True, exist_ok=True)
    rows, pending, pending_bytes = 0, [], 0
    with pa.memory_map(str(shard)) as source:
        schema = pa.ipc.open_stream(source).schema
    with pq.ParquetWriter(str(target), schema) as writer:
        for batch in read_batches(shard):
            pending.append(batch)
            pending_bytes += batch.nbytes
            rows += batch.num_rows
            if pending_bytes >= ROW_GROUP_BYTES:
                _write_row_group(writer, pa.Table.from_batches(pending, schema))
                pending, pending_bytes = [], 0
        if pending:
            _write_row_group(writer, pa.Table.from_batches(pending, schema))
    return rows


def _write_row_group(writer: Any, table: Any) -> None:
    writer.write_table(table, row_group_size=max(1, table.num_rows))  # exactly one row group per call


def split_card(text: str, path: Path) -> tuple[dict[str, Any], str]:
    """(YAML metadata, body) of a card; a card without a YAML block gets an empty one."""
    if not text.startswith("---\n"):
        return {}, text
    end = text.find("\n---\n", 3)
    if end < 0:
        raise InputFormatError(path, 1, "the YAML block opened by '---' is never closed")
    try:
        meta = yaml.safe_load(text[4:end + 1]) or {}
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        raise InputFormatError(path, None if line is None else line + 2, f"invalid YAML metadata: {getattr(exc, 'problem', None) or exc}") from None
    if not isinstance(meta, dict):
        raise InputFormatError(path, 2, "the YAML metadata is not a mapping")
    return meta, text[end + 5:]


def card_for_upload(text: str, path: Path, splits: dict[str, list[str]], also_built: tuple[str, ...] = ()) -> str:
    """The card with `configs:` data_files pointing at the uploaded Parquet files, one entry per config.

    Splits keep the order of the local card's data_files (train, validation, test as the build wrote them),
    not the manifest's alphabetical order. `also_built` names configs of the build that are not uploaded
    (every split empty): dropped from the card."""
    from curate.card_stats import split_rank

    meta, body = split_card(text, path)
    entries = {e.get("config_name"): e for e in meta.get("configs") or [] if isinstance(e, dict)}
    unknown = sorted(set(entries) - set(splits) - set(also_built), key=str)
    if unknown:
        raise InputFormatError(path, None, f"card lists configs {unknown} that are not in the build "
                                           f"(built: {sorted(splits)})")
    configs = []
    for name, split_names in splits.items():
        entry = dict(entries.get(name) or {"config_name": name})
        local = entry.get("data_files")
        local_order = [d.get("split") for d in local if isinstance(d, dict)] if isinstance(local, list) else []
        ordered = sorted(split_names, key=lambda s: (local_order.index(s) if s in local_order else len(local_order),
                                                     *split_rank(s)))
        entry["data_files"] = [{"split": s, "path": f"data/{name}/{s}-*.parquet"} for s in ordered]
        configs.append(entry)
    meta["configs"] = configs
    header = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True)
    return f"---\n{header}---\n{body}"


@dataclass
class UploadPlan:
    files: list[UploadFile]  # data files first, in repo order; the card and its companions are sent last
    card: str
    card_meta: dict[str, Any]
    manifest: Manifest
    notes: list[str] = field(default_factory=list)

    @property
    def data_files(self) -> list[UploadFile]:
        return [f for f in self.files if f.rows is not None]

    @property
    def last_files(self) -> list[UploadFile]:
        return [f for f in self.files if f.rows is None]


def plan_upload(build_dir: Path) -> UploadPlan:
    """Verify the build against its manifest (every shard's size and sha256) and rewrite its card."""
    build_dir = Path(build_dir)
    manifest_path, card_path = build_dir / MANIFEST, build_dir / "README.md"
    for needed in (manifest_path, card_path):
        if not needed.is_file():
            raise CurateError(f"{build_dir} is not a finished curate build: {needed.name} is missing")
    manifest = Manifest.read(manifest_path)  # InputFormatError naming the file unless splits and shards are sound
    layout = {name: {split: info["shards"] for split, info in entry["splits"].items()}
              for name, entry in manifest.configs.items()}
    files: list[UploadFile] = []
    notes: list[str] = []
    uploaded: dict[str, list[str]] = {}
    for name, splits in layout.items():
        for split, shards in splits.items():
            checked = [_verify_shard(build_dir, shard, manifest_path) for shard in shards]
            if sum(s["rows"] for s in shards) == 0:  # `datasets` refuses a config with an empty split
                notes.append(f"split {name}/{split} is empty: left out of the upload and the card")
                continue
            uploaded.setdefault(name, []).append(split)
            for i, (shard, local) in enumerate(zip(shards, checked, strict=True)):
                files.append(UploadFile(f"data/{name}/{split}-{i:05d}-of-{len(shards):05d}.parquet", local,
                                        shard["bytes"], shard["sha256"], shard["rows"]))
    if not uploaded:
        raise CurateError(f"{manifest_path}: no config has any rows; nothing to push")
    card = card_for_upload(card_path.read_text(encoding="utf-8"), card_path, uploaded, tuple(layout))
    meta = split_card(card, card_path)[0]
    last = [UploadFile(MANIFEST, manifest_path, manifest_path.stat().st_size, file_sha256(manifest_path))]
    for image in _card_images(card, card_path, build_dir):
        last.append(UploadFile(image, build_dir / image, (build_dir / image).stat().st_size,
                               file_sha256(build_dir / image)))
    files.sort(key=lambda f: f.path_in_repo)
    return UploadPlan(files + sorted(last, key=lambda f: f.path_in_repo), card, meta, manifest, notes)


def _verify_shard(build_dir: Path, shard: dict[str, Any], manifest_path: Path) -> Path:
    local = (build_dir / shard["path"]).resolve()
    if not local.is_relative_to(build_dir.resolve()):
        raise InputFormatError(manifest_path, None, f"shard path {shard['path']!r} leaves the build folder")
    if not local.is_file():
        raise CurateError(f"{local}: shard listed in {manifest_path} is missing (incomplete build; rebuild it)")
    if local.stat().st_size != shard["bytes"] or file_sha256(local) != shard["sha256"]:
        raise CurateError(f"{local}: does not match its sha256/size in {manifest_path}; rebuild it")
    return local


def _card_images(card: str, card_path: Path, build_dir: Path) -> list[str]:
    """Images the card shows from the build folder (`![...](images/x.png)`): each must exist."""
    import re

    paths = sorted(set(re.findall(r"!\[[^\]]*\]\((images/[A-Za-z0-9._/-]+\.png)\)", card)))
    for p in paths:
        if ".." in p.split("/") or not (build_dir / p).is_file():
            raise CurateError(f"{card_path}: the card shows {p}, which is not in {build_dir} (incomplete build)")
    return paths


def restriction(plan: UploadPlan) -> str | None:
    """Why the card says this data must not be shared publicly (`redistribution:` in its YAML), or None."""
    value = plan.card_meta.get("redistribution")
    return str(value).strip() if value else None


def resolve_token() -> str:
    from huggingface_hub import get_token

    token = os.environ.get("HF_TOKEN") or get_token()
    if not token:
        raise CurateError("no Hugging Face token: set HF_TOKEN or log in with `hf auth login` (or use --dry-run)")
    return token


def mask(text: str, token: str | None) -> str:
    return text.replace(token, "hf_***") if token else text


def push(build_dir: str | Path, repo_id: str, private: bool = False, revision: str | None = None,
         dry_run: bool = False, say: Callable[[str], None] = print, create_branch: bool = False,
         i_have_the_rights: bool = False, limits: Any = None) -> str | None:
    """Upload the build; returns the URL of the last commit (None for a dry run)."""
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    from curate.hub_commit import CommitLimits, Target, upload

    try:
        validate_repo_id(repo_id)
        if repo_id.count("/") != 1:
            raise HFValidationError("expected NAMESPACE/NAME")
    except HFValidationError as exc:
        raise CurateError(f"invalid REPO_ID {repo_id!r}: {exc}") from None
    plan = plan_upload(Path(build_dir))
    reason = restriction(plan)
    if reason and not (private or i_have_the_rights):
        raise CurateError(f"{Path(build_dir) / 'README.md'}: this data must not be shared publicly ({reason}); "
                          "push it with --private, or pass --i-have-the-rights if you hold the rights to publish it")
    target = Target(repo_id, revision or "main", private, create_branch, restricted=bool(reason and not
                                                                                           i_have_the_rights))
    for f in plan.files:
        rows = f"  {f.rows} rows" if f.rows is not None else ""
        kind = "Arrow bytes, sent as Parquet" if f.local_path.suffix == ".arrow" else "bytes"
        say(f"{'would add' if dry_run else 'add'}  {f.path_in_repo}  {f.size} {kind}{rows}")
    say(f"{'would add' if dry_run else 'add'}  README.md  {len(plan.card.encode())} bytes (last)")
    for note in plan.notes:
        say(f"note: {note}")
    if plan.manifest.sample:
        say("note: this is a --sample build (bundled fixtures only)")
    if dry_run:
        say(f"dry run: {len(plan.files) + 1} files, {sum(f.size for f in plan.files)} bytes to {target}; stale "
            "files under data/<config>/ of an earlier push would be deleted with the card")
        return None
    token = resolve_token()
    try:
        return upload(plan, target, token, limits or CommitLimits(), say)
    except CurateError as exc:
        raise CurateError(mask(str(exc), token)) from None
    except Exception as exc:  # huggingface_hub / httpx errors: one clean message, token masked
        raise CurateError(f"push to {target} failed: {mask(f'{type(exc).__name__}: {exc}', token)}; "
                          "rerun the same command to resume") from None
