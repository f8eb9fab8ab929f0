"""`curate push`: a finished build folder to a Hugging Face Hub dataset repo, in one commit.

Each Arrow shard `DIR/<config>/<split>/data-0000i-of-0000N.arrow` becomes
`data/<config>/<split>-0000i-of-0000N.parquet` (Parquet is what the dataset viewer and `load_dataset`
read natively; the `huggingface` schema metadata, i.e. the features, is kept). The card `DIR/README.md` is
uploaded with its YAML `configs:` rewritten to point at those files (the local build is not touched), plus
`manifest.json` for provenance. Shards are checked against the manifest's sha256 before anything is sent.
One `create_commit` adds everything and deletes stale `data/<config>/` files of an earlier push, so the
`<split>-*` patterns in the card never match leftovers.
Token: `HF_TOKEN` or the saved login (`huggingface_hub.get_token()`); never printed. Endpoint: `HF_ENDPOINT`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from curate import __version__
from curate.errors import CurateError, InputFormatError
from curate.io import file_sha256

ROW_GROUP_BYTES = 64 * 1024 * 1024  # row groups of at most ~64 MB of Arrow data: the viewer pages by row group


@dataclass(frozen=True)
class UploadFile:
    path_in_repo: str
    local_path: Path
    size: int
    rows: int | None = None


def arrow_to_parquet(shard: Path, target: Path) -> int:
    """Convert one Arrow IPC stream shard to Parquet, streaming batches; returns the row count."""
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

    `also_built` names configs of the build that are not uploaded (every split empty): dropped from the card."""
    meta, body = split_card(text, path)
    entries = {e.get("config_name"): e for e in meta.get("configs") or [] if isinstance(e, dict)}
    unknown = sorted(set(entries) - set(splits) - set(also_built), key=str)
    if unknown:
        raise InputFormatError(path, None, f"card lists configs {unknown} that are not in the build "
                                           f"(built: {sorted(splits)})")
    configs = []
    for name, split_names in splits.items():
        entry = dict(entries.get(name) or {"config_name": name})
        entry["data_files"] = [{"split": s, "path": f"data/{name}/{s}-*.parquet"} for s in split_names]
        configs.append(entry)
    meta["configs"] = configs
    header = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True)
    return f"---\n{header}---\n{body}"


@dataclass
class UploadPlan:
    files: list[UploadFile]
    manifest: dict[str, Any]
    notes: list[str]


def plan_upload(build_dir: Path, staging: Path) -> UploadPlan:
    """Verify the build against its manifest, convert shards to Parquet under `staging`, write the card."""
    build_dir = Path(build_dir)
    manifest_path, card_path = build_dir / "manifest.json", build_dir / "README.md"
    for needed in (manifest_path, card_path):
        if not needed.is_file():
            raise CurateError(f"{build_dir} is not a finished curate build: {needed.name} is missing")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        layout = {name: {split: info["shards"] for split, info in entry["splits"].items()}
                  for name, entry in manifest["configs"].items()}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputFormatError(manifest_path, None, f"not a curate manifest ({type(exc).__name__}: {exc})") from None
    files: list[UploadFile] = []
    notes: list[str] = []
    uploaded: dict[str, list[str]] = {}
    for name, splits in layout.items():
        for split, shards in splits.items():
            for shard in shards:
                _verify_shard(build_dir / shard["path"], shard, manifest_path)
            if sum(s["rows"] for s in shards) == 0:  # `datasets` refuses a config with an empty split
                notes.append(f"split {name}/{split} is empty: left out of the upload and the card")
                continue
            uploaded.setdefault(name, []).append(split)
            for i, shard in enumerate(shards):
                repo_path = f"data/{name}/{split}-{i:05d}-of-{len(shards):05d}.parquet"
                rows = arrow_to_parquet(build_dir / shard["path"], staging / repo_path)
                if rows != shard["rows"]:
                    raise CurateError(f"{build_dir / shard['path']}: {rows} rows, the manifest says {shard['rows']}")
                files.append(UploadFile(repo_path, staging / repo_path, (staging / repo_path).stat().st_size, rows))
    if not uploaded:
        raise CurateError(f"{manifest_path}: no config has any rows; nothing to push")
    card = card_for_upload(card_path.read_text(encoding="utf-8"), card_path, uploaded, tuple(layout))
    (staging / "README.md").write_text(card, encoding="utf-8")
    files.append(UploadFile("README.md", staging / "README.md", (staging / "README.md").stat().st_size))
    files.append(UploadFile("manifest.json", manifest_path, manifest_path.stat().st_size))
    return UploadPlan(sorted(files, key=lambda f: f.path_in_repo), manifest, notes)


def _verify_shard(local: Path, shard: dict[str, Any], manifest_path: Path) -> None:
    if not local.is_file():
        raise CurateError(f"{local}: shard listed in {manifest_path} is missing")
    if local.stat().st_size != shard["bytes"] or file_sha256(local) != shard["sha256"]:
        raise CurateError(f"{local}: does not match its sha256/size in {manifest_path}; rebuild it")


def resolve_token() -> str:
    from huggingface_hub import get_token

    token = os.environ.get("HF_TOKEN") or get_token()
    if not token:
        raise CurateError("no Hugging Face token: set HF_TOKEN or log in with `hf auth login` (or use --dry-run)")
    return token


def mask(text: str, token: str | None) -> str:
    return text.replace(token, "hf_***") if token else text


def push(build_dir: str | Path, repo_id: str, private: bool = False, revision: str | None = None,
         dry_run: bool = False, say: Callable[[str], None] = print) -> str | None:
    """Upload the build in one commit; returns the commit URL (None for a dry run)."""
    import tempfile

    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    try:
        validate_repo_id(repo_id)
    except HFValidationError as exc:
        raise CurateError(f"invalid REPO_ID {repo_id!r}: {exc}") from None
    with tempfile.TemporaryDirectory(prefix="curate-push-") as tmp:
        plan = plan_upload(Path(build_dir), Path(tmp))
        files, manifest = plan.files, plan.manifest
        total = sum(f.size for f in files)
        target = f"dataset {repo_id}" + (f" (revision {revision})" if revision else "")
        for f in files:
            rows = f"  {f.rows} rows" if f.rows is not None else ""
            say(f"{'would add' if dry_run else 'add'}  {f.path_in_repo}  {f.size} bytes{rows}")
        for note in plan.notes:
            say(f"note: {note}")
        if manifest.get("sample"):
            say("note: this is a --sample build (bundled fixtures only)")
        if dry_run:
            say(f"dry run: {len(files)} files, {total} bytes to {target}; stale files under data/<config>/ of "
                "an earlier push would be deleted in the same commit")
            return None
        token = resolve_token()
        try:
            message = f"Upload {manifest.get('builder', 'dataset')} {manifest.get('version', '')} with curate {__version__}"
            return _commit(files, repo_id, private, revision, token, " ".join(message.split()), say)
        except CurateError:
            raise
        except Exception as exc:  # huggingface_hub / httpx errors: one clean message, token masked
            raise CurateError(f"push to {target} failed: {mask(f'{type(exc).__name__}: {exc}', token)}") from None


def _commit(files: list[UploadFile], repo_id: str, private: bool, revision: str | None, token: str,
            message: str, say: Callable[[str], None]) -> str:
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi
    from huggingface_hub.errors import EntryNotFoundError, RevisionNotFoundError

    api = HfApi(endpoint=os.environ.get("HF_ENDPOINT") or None, token=token, library_name="curate",
                library_version=__version__)
    url = api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
    if revision and revision != "main":
        api.create_branch(repo_id, branch=revision, repo_type="dataset", exist_ok=True)
    uploading = {f.path_in_repo for f in files}
    config_dirs = {f.path_in_repo.rsplit("/", 1)[0] + "/" for f in files if f.path_in_repo.startswith("data/")}
    try:
        remote = api.list_repo_files(repo_id, repo_type="dataset", revision=revision)
    except (EntryNotFoundError, RevisionNotFoundError):
        remote = []
    stale = sorted(p for p in remote if p not in uploading and any(p.startswith(d) for d in config_dirs))
    operations: list[Any] = [CommitOperationAdd(f.path_in_repo, str(f.local_path)) for f in files]
    operations += [CommitOperationDelete(p) for p in stale]
    for p in stale:
        say(f"delete  {p}  (left by an earlier push)")
    info = api.create_commit(repo_id, operations, commit_message=message,
                             repo_type="dataset", revision=revision)
    say(f"pushed {len(files)} files to {url} in one commit: {info.commit_url}")
    return info.commit_url
