"""`curate push` against a fake Hub (tests/fake_hub.py: a local http.server speaking huggingface_hub's routes)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from fake_hub import TOKEN, FakeHub

from curate.cli import main as curate_main
from curate.errors import CurateError
from curate.hub import card_for_upload, push


@pytest.fixture
def hub(monkeypatch, tmp_path):
    fake = FakeHub()
    monkeypatch.setenv("HF_ENDPOINT", fake.endpoint)
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf_home"))  # never read the developer's saved login
    from huggingface_hub import constants

    # conftest sets HF_HUB_OFFLINE=1 for the whole suite; these tests only ever reach the local fake Hub
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    # hf_xet would send Parquet through a Xet CAS server the fake does not play: take the LFS batch path
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", True)
    monkeypatch.setenv("CURATE_CACHE", str(tmp_path / "curate_cache"))
    yield fake
    fake.close()


FEATURES_META = {"info": {"features": {"sent_id": {"dtype": "string", "_type": "Value"},
                                       "tokens": {"feature": {"dtype": "string", "_type": "Value"},
                                                  "_type": "List"}}}}


def make_build(out: Path, layout: dict[str, dict[str, list[int]]], fmt: str = "arrow", **card_meta) -> Path:
    """A build folder in the finalize layout: config -> split -> rows per shard (IPC stream or Parquet shards)."""
    schema = pa.schema([("sent_id", pa.string()), ("tokens", pa.list_(pa.string()))],
                       metadata={"huggingface": json.dumps(FEATURES_META)})
    manifest = {"builder": "maltese-etymology", "version": "1.0.0", "configs": {}}
    for config, splits in layout.items():
        entry = {"splits": {}}
        for split, shard_rows in splits.items():
            folder = out / config / split
            folder.mkdir(parents=True)
            shards, start = [], 0
            for i, n in enumerate(shard_rows):
                name = f"data-{i:05d}-of-{len(shard_rows):05d}.{fmt}"
                ids = [f"{config}-{split}-{start + r}" for r in range(n)]
                table = pa.table({"sent_id": ids, "tokens": [["Il-", "kelma", str(r)] for r in range(n)]},
                                 schema=schema)
                if fmt == "parquet":
                    pq.write_table(table, str(folder / name))
                else:
                    with pa.OSFile(str(folder / name), "wb") as sink, pa.ipc.new_stream(sink, schema) as writer:
                        writer.write_table(table)
                data = (folder / name).read_bytes()
                shards.append({"path": f"{config}/{split}/{name}", "rows": n, "bytes": len(data),
                               "sha256": hashlib.sha256(data).hexdigest()})
                start += n
            (folder / "state.json").write_text(json.dumps({"_data_files": [{"filename": Path(s["path"]).name}
                                                                           for s in shards], "_split": split}))
            (folder / "dataset_info.json").write_text(json.dumps({"features": FEATURES_META["info"]["features"]}))
            entry["splits"][split] = {"rows": sum(shard_rows), "shards": shards}
        (out / config / "dataset_dict.json").write_text(json.dumps({"splits": list(splits)}))
        manifest["configs"][config] = entry
    (out / "manifest.json").write_text(json.dumps(manifest))
    configs_yaml = [{"config_name": c, "data_files": [{"split": s, "path": f"{c}/{s}/data-*.{fmt}"} for s in sp],
                     **({"default": True} if i == 0 else {})} for i, (c, sp) in enumerate(layout.items())]
    meta = {"pretty_name": "maltese-etymology", "license": "cc-by-sa-4.0", "language": ["mt"],
            "configs": configs_yaml, **card_meta}
    (out / "README.md").write_text(f"---\n{yaml.safe_dump(meta, sort_keys=False)}---\n\n# Maltese ħ etymology\n",
                                   encoding="utf-8")
    return out


LAYOUT = {"annotations": {"train": [3, 2], "validation": [2], "test": [1]}, "mudt": {"train": [4], "test": [0]}}


def test_push_sends_parquet_through_lfs_and_the_card_last(hub, tmp_path, capfd):
    build = make_build(tmp_path / "build", LAYOUT)
    before = {p: p.read_bytes() for p in build.rglob("*") if p.is_file()}
    assert curate_main(["push", str(build), "my-org/maltese-etymology", "--private"]) == 0
    out = capfd.readouterr()
    assert TOKEN not in out.out + out.err
    assert "in 2 commits" in out.out
    assert "note: split mudt/test is empty: left out of the upload and the card" in out.out

    routes = [(r["method"], r["path"]) for r in hub.api_requests]
    assert routes[0] == ("GET", "/api/whoami-v2")  # checks come before anything is created or sent
    assert routes.index(("POST", "/api/repos/create")) < routes.index(
        ("POST", "/datasets/my-org/maltese-etymology.git/info/lfs/objects/batch"))
    assert ("POST", "/api/validate-yaml") in routes
    assert [p for m, p in routes if "/commit/" in p] == ["/api/datasets/my-org/maltese-etymology/commit/main"] * 2
    assert all(r["authorization"] == f"Bearer {TOKEN}" for r in hub.api_requests if r["path"].startswith("/api"))
    assert hub.repos["my-org/maltese-etymology"]["private"] is True
    assert all(c["summary"].startswith("Upload maltese-etymology 1.0.0") for c in hub.commits)
    # the Parquet shards took the LFS path (batch API, PUT to storage, verify); the card comes last, alone
    assert sorted(hub.commits[0]["lfs"]) == sorted(hub.commits[0]["added"]) and len(hub.commits[0]["lfs"]) == 5
    assert len(hub.uploads()) == 5 and sum(p == "/lfs-verify" for _, p in routes) == 5
    assert sorted(hub.commits[1]["added"]) == ["README.md", "manifest.json"]

    files = hub.files("my-org/maltese-etymology")
    assert sorted(files) == [
        "README.md",
        "data/annotations/test-00000-of-00001.parquet",
        "data/annotations/train-00000-of-00002.parquet",
        "data/annotations/train-00001-of-00002.parquet",
        "data/annotations/validation-00000-of-00001.parquet",
        "data/mudt/train-00000-of-00001.parquet",
        "manifest.json",
    ]
    # the Parquet files hold the same rows, in order, with the features metadata kept
    train = pa.concat_tables([pq.read_table(pa.BufferReader(files[f"data/annotations/train-0000{i}-of-00002.parquet"]))
                              for i in range(2)])
    assert train.column("sent_id").to_pylist() == [f"annotations-train-{i}" for i in range(5)]
    assert json.loads(train.schema.metadata[b"huggingface"]) == FEATURES_META
    assert pq.read_table(pa.BufferReader(files["data/mudt/train-00000-of-00001.parquet"])).num_rows == 4

    card = files["README.md"].decode()
    meta = yaml.safe_load(card.split("---\n")[1])
    assert meta["configs"][0] == {"config_name": "annotations", "default": True, "data_files": [
        {"split": "train", "path": "data/annotations/train-*.parquet"},
        {"split": "validation", "path": "data/annotations/validation-*.parquet"},
        {"split": "test", "path": "data/annotations/test-*.parquet"}]}
    assert meta["configs"][1] == {"config_name": "mudt", "data_files": [
        {"split": "train", "path": "data/mudt/train-*.parquet"}]}  # the empty test split is left out
    assert meta["language"] == ["mt"] and "# Maltese ħ etymology" in card
    # the local build is untouched
    assert {p: p.read_bytes() for p in build.rglob("*") if p.is_file()} == before


def test_uploaded_repo_loads_with_datasets(hub, tmp_path):
    """The card's configs resolve against the uploaded files exactly as the Hub's loader resolves them."""
    import datasets

    build = make_build(tmp_path / "build", LAYOUT)
    push(build, "me/ds", say=lambda s: None)
    repo = tmp_path / "repo"
    for path, content in hub.files("me/ds").items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_bytes(content)
    ds = datasets.load_dataset(str(repo), "annotations", cache_dir=str(tmp_path / "hf_cache"))
    assert {k: v.num_rows for k, v in ds.items()} == {"train": 5, "validation": 2, "test": 1}
    assert ds["train"].features["tokens"].feature.dtype == "string"
    mudt = datasets.load_dataset(str(repo), "mudt", cache_dir=str(tmp_path / "hf_cache"))
    assert mudt["train"]["sent_id"] == [f"mudt-train-{i}" for i in range(4)]


def test_second_push_deletes_stale_shards_and_revision_branch(hub, tmp_path):
    push(make_build(tmp_path / "b1", LAYOUT), "me/ds", say=lambda s: None)
    smaller = {"annotations": {"train": [5], "validation": [2], "test": [1]}, "mudt": {"train": [4], "test": [0]}}
    push(make_build(tmp_path / "b2", smaller), "me/ds", say=lambda s: None)
    files = hub.files("me/ds")
    assert [p for p in files if p.startswith("data/annotations/train")] == [
        "data/annotations/train-00000-of-00001.parquet"]
    assert hub.commits[-1]["deleted"] == ["data/annotations/train-00000-of-00002.parquet",
                                          "data/annotations/train-00001-of-00002.parquet"]
    # a branch that does not exist is refused before anything is sent, unless --create-branch
    sent = len(hub.commits)
    with pytest.raises(CurateError, match=r"revision 'v1\.0' does not exist \(branches: main\); pass --create-branch"):
        push(make_build(tmp_path / "b3", {"annotations": {"train": [1]}}), "me/ds", revision="v1.0",
             say=lambda s: None)
    assert len(hub.commits) == sent and "v1.0" not in hub.repos["me/ds"]["branches"]
    # a push to a new branch creates it and leaves main alone
    push(tmp_path / "b3", "me/ds", revision="v1.0", create_branch=True, say=lambda s: None)
    assert hub.commits[-1]["branch"] == "v1.0"
    assert "data/annotations/train-00000-of-00001.parquet" in hub.files("me/ds", "v1.0")
    assert hub.files("me/ds")["data/annotations/train-00000-of-00001.parquet"] != \
        hub.files("me/ds", "v1.0")["data/annotations/train-00000-of-00001.parquet"]


def test_dry_run_needs_no_token_and_sends_nothing(hub, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("HF_TOKEN")
    build = make_build(tmp_path / "build", LAYOUT)
    assert curate_main(["push", str(build), "me/ds", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would add  data/annotations/train-00001-of-00002.parquet" in out and "2 rows" in out
    assert "would add  README.md" in out and "dry run: 7 files" in out
    assert hub.api_requests == []


def test_missing_token_is_a_clear_error(hub, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("HF_TOKEN")
    assert curate_main(["push", str(make_build(tmp_path / "b", LAYOUT)), "me/ds"]) == 2
    assert "no Hugging Face token" in capsys.readouterr().err
    assert hub.api_requests == []


def test_rejected_token_is_never_printed(hub, tmp_path, capfd):
    hub.token = "hf_the_only_valid_token"
    assert curate_main(["push", str(make_build(tmp_path / "b", LAYOUT)), "me/ds"]) == 2
    out = capfd.readouterr()
    assert "rejected the token (HTTP 401)" in out.err and TOKEN not in out.out + out.err
    assert "me/ds" not in hub.repos
    # a server that echoes the credential in an error: the message is masked
    hub.token = TOKEN
    hub.fail("POST", "/commit/", 403, payload={"error": f"Forbidden for Bearer {TOKEN}"})
    assert curate_main(["push", str(tmp_path / "b"), "me/ds"]) == 2
    out = capfd.readouterr()
    assert "push to dataset me/ds failed" in out.err and "rerun the same command to resume" in out.err
    assert "hf_***" in out.err and TOKEN not in out.out + out.err


def test_corrupted_shard_is_refused_before_upload(hub, tmp_path):
    build = make_build(tmp_path / "b", LAYOUT)
    shard = build / "mudt" / "train" / "data-00000-of-00001.arrow"
    data = bytearray(shard.read_bytes())
    data[-20] ^= 0xFF
    shard.write_bytes(bytes(data))
    with pytest.raises(CurateError, match=r"mudt/train/data-00000-of-00001\.arrow: does not match its sha256"):
        push(build, "me/ds", say=lambda s: None)
    assert hub.api_requests == []


def test_not_a_build_folder_or_bad_repo_id(tmp_path):
    with pytest.raises(CurateError, match="manifest.json is missing"):
        push(tmp_path, "me/ds", dry_run=True)
    with pytest.raises(CurateError, match="invalid REPO_ID 'me/not a name'"):
        push(make_build(tmp_path / "b", LAYOUT), "me/not a name", dry_run=True)


def test_card_rewrite_rules(tmp_path):
    card = tmp_path / "README.md"
    text = "---\nlicense: mit\nconfigs:\n- config_name: a\n  data_files: a/train/*.arrow\n  sep: ','\n---\nBody\n"
    out = card_for_upload(text, card, {"a": ["train"], "b": ["test"]})
    meta = yaml.safe_load(out.split("---\n")[1])
    assert meta["configs"] == [
        {"config_name": "a", "data_files": [{"split": "train", "path": "data/a/train-*.parquet"}], "sep": ","},
        {"config_name": "b", "data_files": [{"split": "test", "path": "data/b/test-*.parquet"}]}]
    assert out.endswith("---\nBody\n") and meta["license"] == "mit"
    with pytest.raises(CurateError, match=r"README\.md.*configs \['zz'\] that are not in the build"):
        card_for_upload("---\nconfigs:\n- config_name: zz\n---\n", card, {"a": ["train"]})
    with pytest.raises(CurateError, match=r"README\.md:3: invalid YAML metadata: mapping values are not allowed here$"):
        card_for_upload("---\nlicense: mit\nkey: a: b\n---\n", card, {"a": ["train"]})
    assert "config_name: a" in card_for_upload("No metadata\n", card, {"a": ["train"]})


def test_real_build_round_trips_through_the_hub(hub, tmp_path):
    """`curate build maltese-etymology` then push: every config loads from the uploaded repo like the local build."""
    import datasets

    out = tmp_path / "build"
    assert curate_main(["build", "maltese-etymology", "--out", str(out)]) == 0
    push(out, "me/maltese-etymology", say=lambda s: None)
    repo = tmp_path / "repo"
    for path, content in hub.files("me/maltese-etymology").items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_bytes(content)
    for config in ("annotations", "mudt"):
        local = datasets.load_from_disk(str(out / config))
        remote = datasets.load_dataset(str(repo), config, cache_dir=str(tmp_path / "hf_cache"))
        assert set(remote) == set(local)
        for split in local:
            assert remote[split].features == local[split].features
            assert remote[split].to_list() == local[split].to_list()


BIG = {"annotations": {"train": [3, 2, 2], "validation": [2], "test": [1]}, "mudt": {"train": [4, 1], "test": [0]}}


def _files_per_commit(hub: FakeHub) -> list[int]:
    return [len(c["added"]) + len(c["deleted"]) for c in hub.commits]


def test_429_and_5xx_are_retried_honouring_retry_after(hub, tmp_path, capsys):
    from curate.hub_commit import CommitLimits

    build = make_build(tmp_path / "b", BIG)
    hub.fail("GET", "/api/whoami-v2", 429, {"Retry-After": "0"})  # rate limited before anything else
    hub.fail("POST", "/commit/", 429, {"Retry-After": "1"})  # the Hub's commit rate limit
    hub.fail("PUT", "/lfs-upload/", 503)  # storage hiccup during an LFS upload
    push(build, "me/ds", limits=CommitLimits(max_files=3))
    out = capsys.readouterr().out
    assert "check the token: HTTP 429; retrying in 0 s" in out and "HTTP 429; retrying in 1 s" in out
    commits = [r for r in hub.requests if r["method"] == "POST" and "/commit/" in r["path"]]
    assert commits[1]["t"] - commits[0]["t"] >= 0.9  # Retry-After: 1 was honoured
    assert _files_per_commit(hub) == [3, 3, 1, 2]  # 7 data files in commits of at most 3; the card last
    assert sorted(hub.commits[-1]["added"]) == ["README.md", "manifest.json"]
    assert len(hub.files("me/ds")) == 9


def test_killed_push_resumes_where_it_stopped(hub, tmp_path):
    """A real `curate push` process is SIGKILLed while its 2nd commit is in flight; the rerun sends only the rest."""
    import os
    import signal
    import subprocess
    import sys

    from curate.hub_commit import CommitLimits

    build = make_build(tmp_path / "b", BIG)
    push(build, "me/reference", limits=CommitLimits(max_files=3), say=lambda s: None)  # uninterrupted
    reference = dict(hub.files("me/reference"))
    hub.lfs_store.clear()  # the interrupted push must upload its objects itself
    hub.commits.clear()
    hub.requests.clear()
    reached, release = hub.hold("POST", "/api/datasets/me/ds/commit/", after=1)
    env = {**os.environ, "HF_HUB_OFFLINE": "0", "HF_HUB_DISABLE_XET": "1"}
    proc = subprocess.Popen([sys.executable, "-c", "import sys; from curate.cli import main; sys.exit(main())",
                             "push", str(build), "me/ds", "--commit-files", "3"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert reached.wait(120), "the push never reached its 2nd commit"
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(30) == -signal.SIGKILL
    finally:
        release.set()
        if proc.poll() is None:
            proc.kill()
    assert _files_per_commit(hub) == [3]  # one commit landed; the 2nd batch was uploaded but never committed
    uploaded_before = set(hub.uploads())
    assert len(uploaded_before) == 6
    messages: list[str] = []
    push(build, "me/ds", limits=CommitLimits(max_files=3), say=messages.append)
    assert "resuming: 3 of 7 data files are already in dataset me/ds" in messages
    assert _files_per_commit(hub) == [3, 3, 1, 2]
    # objects uploaded before the kill were not sent again: only the last batch (1 file) went up
    assert len(hub.uploads()) == 7 and set(hub.uploads()[:6]) == uploaded_before
    assert hub.files("me/ds") == reference


def test_bad_input_is_refused_before_anything_is_sent(hub, tmp_path):
    build = make_build(tmp_path / "b", LAYOUT)

    def refused(match: str, **kwargs) -> None:
        hub.requests.clear()
        with pytest.raises(CurateError, match=match):
            push(kwargs.pop("build", build), kwargs.pop("repo", "me/ds"), say=lambda s: None, **kwargs)
        assert [r["method"] for r in hub.api_requests if r["method"] != "GET"] == []  # nothing created or sent

    refused(r"invalid REPO_ID 'me/ds/extra'", repo="me/ds/extra")
    refused(r"invalid REPO_ID 'ds'", repo="ds")
    hub.role = "read"
    refused(r"cannot push to dataset me/ds: it is a read-only token")
    hub.role, hub.fine_grained = "fineGrained", {"scoped": [
        {"entity": {"type": "user", "name": "me"}, "permissions": ["repo.content.read"]}]}
    refused(r"fine-grained token has no repo.write permission for 'me'")
    hub.fine_grained["scoped"].append({"entity": {"type": "org", "name": "my-org"}, "permissions": ["repo.write"]})
    refused(r"fine-grained token has no repo.write permission for 'me'")
    push(build, "my-org/ds", say=lambda s: None)  # the scope that allows it
    hub.role, hub.fine_grained = "write", None
    refused(r"belongs to 'me', who is not a member of 'someone-else'", repo="someone-else/ds")
    refused(r"the repo does not exist yet, so neither does revision 'v2'", revision="v2")
    # an incomplete build: a shard gone, or a plot the card shows missing
    (build / "mudt" / "train" / "data-00000-of-00001.arrow").unlink()
    refused(r"mudt/train/data-00000-of-00001\.arrow: shard listed in .* is missing")
    images = make_build(tmp_path / "img", LAYOUT)
    card = images / "README.md"
    card.write_text(card.read_text() + "\n![lengths](images/annotations-lengths.png)\n")
    refused(r"the card shows images/annotations-lengths\.png, which is not in", build=images)
    (images / "images").mkdir()
    (images / "images" / "annotations-lengths.png").write_bytes(b"\x89PNG fake")
    push(images, "me/img", say=lambda s: None)
    assert hub.files("me/img")["images/annotations-lengths.png"] == b"\x89PNG fake"
    push(make_build(tmp_path / "noimg", LAYOUT), "me/img", say=lambda s: None)  # a plot no card shows any more
    assert "images/annotations-lengths.png" not in hub.files("me/img")


def test_restricted_data_needs_private_or_the_rights(hub, tmp_path, capsys):
    reason = "CLEF topics are under the ELRA evaluation licence"
    build = make_build(tmp_path / "b", LAYOUT, license="other", redistribution=reason)
    with pytest.raises(CurateError, match=r"README\.md: this data must not be shared publicly \(CLEF topics are "
                                          r"under the ELRA evaluation licence\); push it with --private"):
        push(build, "me/clef", say=lambda s: None)
    assert hub.api_requests == []
    push(build, "me/clef", private=True, say=lambda s: None)
    assert hub.repos["me/clef"]["private"] is True
    # --private does not make an existing public repo private: refused too
    push(make_build(tmp_path / "open", LAYOUT), "me/public", say=lambda s: None)
    with pytest.raises(CurateError, match=r"dataset me/public exists and is public"):
        push(build, "me/public", private=True, say=lambda s: None)
    assert curate_main(["push", str(build), "me/public", "--i-have-the-rights"]) == 0
    assert "redistribution" in yaml.safe_load(hub.files("me/public")["README.md"].decode().split("---\n")[1])


def test_parquet_build_is_pushed_as_is(hub, tmp_path):
    """A `--format parquet` build: its shards go up byte for byte (no conversion), and stay in the build."""
    build = make_build(tmp_path / "pq", LAYOUT, fmt="parquet")
    push(build, "me/pq", say=lambda s: None)
    files = hub.files("me/pq")
    local = build / "annotations" / "train" / "data-00001-of-00002.parquet"
    assert files["data/annotations/train-00001-of-00002.parquet"] == local.read_bytes()
    assert len([p for p in files if p.endswith(".parquet")]) == 5


def test_a_5xx_storm_fails_cleanly_and_the_rerun_resumes(hub, tmp_path):
    from curate.hub_commit import CommitLimits

    build = make_build(tmp_path / "b", BIG)
    hub.fail("POST", "/commit/", 503, times=1, headers={"Retry-After": "0"})
    push(build, "me/ds", limits=CommitLimits(max_files=3, retries=2), say=lambda s: None)  # one 503: retried
    hub.fail("POST", "/api/datasets/me/storm/commit/", 503, times=2, headers={"Retry-After": "0"})
    first = len(hub.commits)
    with pytest.raises(CurateError, match=r"(?s)push to dataset me/storm failed: .*503.*rerun the same command to resume"):
        push(build, "me/storm", limits=CommitLimits(max_files=3, retries=2), say=lambda s: None)
    assert len(hub.commits) == first  # nothing committed during the storm
    push(build, "me/storm", limits=CommitLimits(max_files=3, retries=2), say=lambda s: None)
    assert hub.files("me/storm") == hub.files("me/ds")


def test_commit_limit_flags_are_checked(tmp_path, capsys):
    from curate.commands.push import parse_size

    assert parse_size("500MB") == 500_000_000 and parse_size("1GiB") == 2**30 and parse_size("4096") == 4096
    for bad in (["--commit-files", "0"], ["--commit-bytes", "5XB"], ["--commit-bytes", "0MB"]):
        with pytest.raises(SystemExit):
            curate_main(["push", str(tmp_path), "me/ds", *bad])
    assert curate_main(["push", str(tmp_path), "me/ds", "--create-branch"]) == 2
    err = capsys.readouterr().err
    assert "expected a whole number ≥ 1, got '0'" in err and "not a size: '5XB'" in err
    assert "--create-branch needs --revision" in err
