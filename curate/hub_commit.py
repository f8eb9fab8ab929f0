"""The Hub side of `curate push`: access checks, then commits of bounded size that an interrupted push resumes.

huggingface_hub's `create_commit` does the transfer work of each commit (preupload → LFS batch or Xet →
upload → verify → NDJSON commit). Around it this module adds what a push at size needs:

- checks before anything is sent: the token can write to the namespace, the revision exists (or
  `--create-branch`), a repo holding restricted data is not public;
- commits of at most `max_files` files / `max_bytes` bytes (the Hub asks for < 100 files per commit), data
  first, the card (with the manifest and plots) last, so the repo's card never points at missing files;
- resume: a state file under `$CURATE_CACHE/push/` records which shard (by sha256) became which Parquet file
  (by sha256); a rerun compares that with the remote tree and skips committed files without converting them
  again. Files uploaded but not committed before a kill are recognised by the Hub (LFS: "already present");
- 429 and 5xx answers are retried with backoff, honouring `Retry-After`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from curate import __version__
from curate.errors import CurateError
from curate.hub import UploadFile, UploadPlan, arrow_to_parquet
from curate.io import file_sha256, write_json_atomic

RETRY_STATUS = (429, 500, 502, 503, 504)


@dataclass(frozen=True)
class Target:
    repo_id: str
    revision: str = "main"
    private: bool = False
    create_branch: bool = False
    restricted: bool = False  # the card says the data must not be public: refuse an existing public repo

    def __str__(self) -> str:
        return f"dataset {self.repo_id}" + (f" (revision {self.revision})" if self.revision != "main" else "")


@dataclass(frozen=True)
class CommitLimits:
    max_files: int = 50  # the Hub asks for fewer than ~100 files per commit
    max_bytes: int = 2 * 1024**3  # Parquet staged on local disk per commit
    retries: int = 8
    max_wait_s: float = 3600.0  # the Hub's hourly commit quota answers 429 with a long Retry-After


def retry_after(headers: Any) -> float | None:
    """Seconds the server asks us to wait (`Retry-After`: seconds or an HTTP date), or None."""
    from curate.fetch.keys import parse_retry_after

    return parse_retry_after(headers.get("Retry-After") if headers is not None else None)


def with_backoff(what: str, call: Callable[[], Any], limits: CommitLimits, say: Callable[[str], None],
                 sleep: Callable[[float], None] = time.sleep) -> Any:
    """`call()`, retried on 429/5xx answers and dropped connections: Retry-After when given, else 2, 4, 8 … s."""
    import httpx2
    from huggingface_hub.errors import HfHubHTTPError

    for attempt in range(1, limits.retries + 1):
        try:
            return call()
        except HfHubHTTPError as exc:
            status = exc.response.status_code if exc.response is not None else None
            if status not in RETRY_STATUS or attempt == limits.retries:
                raise
            wait = retry_after(exc.response.headers)
            reason = f"HTTP {status}"
        except httpx2.TransportError as exc:
            if attempt == limits.retries:
                raise
            wait, reason = None, type(exc).__name__
        wait = min(limits.max_wait_s, wait if wait is not None else 2.0 ** attempt)
        say(f"{what}: {reason}; retrying in {wait:.0f} s (attempt {attempt + 1} of {limits.retries})")
        sleep(wait)
    raise AssertionError("unreachable")


def check_access(api: Any, target: Target, limits: CommitLimits, say: Callable[[str], None]) -> bool:
    """Fail before anything is sent; returns whether the repo exists already."""
    from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

    namespace = target.repo_id.split("/")[0]
    try:
        who = with_backoff("check the token", api.whoami, limits, say)
    except HfHubHTTPError as exc:
        status = exc.response.status_code if exc.response is not None else None
        if status not in (401, 403):
            raise
        raise CurateError(f"the Hub at {api.endpoint} rejected the token (HTTP {status}); check HF_TOKEN") from None
    problem = _write_problem(who, namespace, target.repo_id)
    if problem:
        raise CurateError(f"the token cannot push to {target}: {problem}")
    try:
        info = with_backoff("look up the repo", lambda: api.repo_info(target.repo_id, repo_type="dataset"), limits, say)
        refs = with_backoff("list branches", lambda: api.list_repo_refs(target.repo_id, repo_type="dataset"),
                            limits, say)
    except RepositoryNotFoundError:
        if target.revision != "main" and not target.create_branch:
            raise CurateError(f"{target}: the repo does not exist yet, so neither does revision "
                              f"{target.revision!r}; pass --create-branch to create it") from None
        return False
    branches = {b.name for b in refs.branches}
    if target.revision not in branches and not target.create_branch:
        tags = {t.name for t in refs.tags}
        kind = "is a tag, not a branch" if target.revision in tags else "does not exist"
        raise CurateError(f"{target}: revision {target.revision!r} {kind} (branches: {', '.join(sorted(branches))})"
                          + ("; pass --create-branch to create it" if kind == "does not exist" else ""))
    if target.restricted and not getattr(info, "private", False):
        raise CurateError(f"{target} exists and is public, and this build's card says its data must not be "
                          "shared publicly; make the repo private first, or pass --i-have-the-rights")
    return True


def _write_problem(who: dict[str, Any], namespace: str, repo_id: str) -> str | None:
    token = (who.get("auth") or {}).get("accessToken") or {}
    role = token.get("role")
    if role == "read":
        return "it is a read-only token (create one with write access)"
    if role == "fineGrained":
        scoped = ((token.get("fineGrained") or {}).get("scoped")) or []
        for scope in scoped:
            entity = scope.get("entity") or {}
            if "repo.write" in (scope.get("permissions") or []) and (
                    entity.get("name") in (namespace, repo_id)):
                return None
        return f"this fine-grained token has no repo.write permission for {namespace!r}"
    names = {who.get("name")} | {o.get("name") for o in who.get("orgs") or []}
    if who.get("name") and namespace not in names:
        return f"it belongs to {who.get('name')!r}, who is not a member of {namespace!r}"
    return None


def state_dir(endpoint: str, target: Target) -> Path:
    cache = Path(os.environ.get("CURATE_CACHE", "~/.cache/curate")).expanduser()
    key = hashlib.sha256(f"{endpoint}\n{target.repo_id}\n{target.revision}".encode()).hexdigest()[:16]
    return cache / "push" / key


def upload(plan: UploadPlan, target: Target, token: str, limits: CommitLimits, say: Callable[[str], None]) -> str:
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi

    api = HfApi(endpoint=os.environ.get("HF_ENDPOINT") or None, token=token, library_name="curate",
                library_version=__version__)
    exists = check_access(api, target, limits, say)
    url = with_backoff("create repo", lambda: api.create_repo(target.repo_id, repo_type="dataset",
                                                               private=target.private, exist_ok=True), limits, say)
    if target.revision != "main":
        with_backoff("create branch", lambda: api.create_branch(target.repo_id, branch=target.revision,
                                                                repo_type="dataset", exist_ok=True), limits, say)
    remote = _remote_tree(api, target, limits, say) if exists else {}
    folder = state_dir(api.endpoint, target)
    state_path = folder / "state.json"
    state = _load_state(state_path, target)
    todo = [f for f in plan.data_files if not _already_there(f, state, remote)]
    if len(todo) < len(plan.data_files):
        say(f"resuming: {len(plan.data_files) - len(todo)} of {len(plan.data_files)} data files are already "
            f"in {target}")
    message = " ".join(f"Upload {plan.manifest.builder or 'dataset'} {plan.manifest.version or ''} "
                       f"with curate {__version__}".split())
    staging = folder / "staging"
    shutil.rmtree(staging, ignore_errors=True)
    commits, last_url = 0, None

    def commit(ops: list[Any], title: str) -> str:
        nonlocal commits
        info = with_backoff(title, lambda: api.create_commit(
            target.repo_id, [_fresh(op) for op in ops], commit_message=title, repo_type="dataset",
            revision=target.revision), limits, say)
        commits += 1
        say(f"committed {title}: {info.commit_url}")
        return info.commit_url

    batch: list[tuple[UploadFile, Path, str, int]] = []
    for i, f in enumerate(todo):
        if f.local_path.suffix == ".parquet":  # a `--format parquet` build: its shards go up as they are
            local = f.local_path
        else:
            local = staging / f.path_in_repo
            rows = arrow_to_parquet(f.local_path, local)
            if rows != f.rows:
                raise CurateError(f"{f.local_path}: {rows} rows, the manifest says {f.rows}")
        batch.append((f, local, file_sha256(local), local.stat().st_size))
        full = len(batch) >= limits.max_files or sum(b[3] for b in batch) >= limits.max_bytes
        if full or i == len(todo) - 1:
            ops = [CommitOperationAdd(b[0].path_in_repo, str(b[1])) for b in batch]
            last_url = commit(ops, f"{message} ({batch[0][0].path_in_repo} … {len(batch)} files)")
            for f_, local_, sha, size in batch:
                state["files"][f_.path_in_repo] = {"source_sha256": f_.sha256, "sha256": sha, "size": size,
                                                   "git_sha1": _git_sha1(local_)}
                if local_.is_relative_to(staging):
                    local_.unlink()  # converted copies only: never a file of the build
            write_json_atomic(state_path, state)
            batch = []
    keep = {f.path_in_repo for f in plan.files} | {"README.md"}
    # data of the configs being pushed, and plots (all redrawn with every card), left by an earlier push
    config_dirs = {f.path_in_repo.rsplit("/", 1)[0] + "/" for f in plan.data_files} | {"images/"}
    stale = sorted(p for p in remote if p not in keep and any(p.startswith(d) for d in config_dirs))
    for p in stale:
        say(f"delete  {p}  (left by an earlier push)")
    last = [CommitOperationAdd(f.path_in_repo, str(f.local_path)) for f in plan.last_files]
    last.append(CommitOperationAdd("README.md", plan.card.encode("utf-8")))
    while len(stale) > limits.max_files:  # deletions beyond one commit's worth go first, the card still last
        chunk, stale = stale[:limits.max_files], stale[limits.max_files:]
        commit([CommitOperationDelete(p) for p in chunk], f"Delete {len(chunk)} stale files")
    last_url = commit(last + [CommitOperationDelete(p) for p in stale], f"{message}: card and manifest")
    shutil.rmtree(folder, ignore_errors=True)  # done: nothing to resume
    say(f"pushed {len(plan.files) + 1} files to {url} in {commits} commits (last: {last_url})")
    return last_url


def _fresh(op: Any) -> Any:
    """A retried commit needs new operation objects: huggingface_hub refuses to reuse committed ones."""
    from huggingface_hub import CommitOperationAdd

    if isinstance(op, CommitOperationAdd):
        return CommitOperationAdd(op.path_in_repo, op.path_or_fileobj)
    return op


def _remote_tree(api: Any, target: Target, limits: CommitLimits, say: Callable[[str], None]) -> dict[str, set[str]]:
    """Path → the ids its content is known by on the Hub (git blob sha1, and LFS sha256 if any)."""
    from huggingface_hub.hf_api import RepoFile

    entries = with_backoff("list files", lambda: list(api.list_repo_tree(
        target.repo_id, repo_type="dataset", revision=target.revision, recursive=True)), limits, say)
    return {e.path: {e.blob_id} | ({e.lfs.sha256} if e.lfs else set()) for e in entries if isinstance(e, RepoFile)}


def _already_there(f: UploadFile, state: dict[str, Any], remote: dict[str, set[str]]) -> bool:
    done = state["files"].get(f.path_in_repo)
    return bool(done and done["source_sha256"] == f.sha256
                and remote.get(f.path_in_repo, set()) & {done["sha256"], done["git_sha1"]})


def _load_state(path: Path, target: Target) -> dict[str, Any]:
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        if state.get("repo_id") == target.repo_id and isinstance(state.get("files"), dict):
            return state
    except (OSError, ValueError):
        pass  # no state, or a torn one: start from the remote tree alone
    return {"repo_id": target.repo_id, "revision": target.revision, "files": {}}


def _git_sha1(path: Path) -> str:
    h = hashlib.sha1(f"blob {path.stat().st_size}\0".encode())
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
