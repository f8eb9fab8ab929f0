"""`curate push` against a fake Hub (a local http.server speaking the routes huggingface_hub calls)."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from curate.cli import main as curate_main
from curate.errors import CurateError
from curate.hub import card_for_upload, push

TOKEN = "hf_TESTtoken0123456789abcdefSECRET"


class FakeHub:
    """create repo, create branch, list tree, validate-yaml, preupload (all 'regular'), NDJSON commit."""

    def __init__(self, token: str = TOKEN):
        self.token = token
        self.repos: dict[str, dict] = {}  # repo id -> {"private": bool, "branches": {name: {path: bytes}}}
        self.requests: list[dict] = []
        self.commits: list[dict] = []
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _reply(self, status: int, payload, headers: dict | None = None):
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                url = urlsplit(self.path)
                hub.requests.append({"method": self.command, "path": url.path, "query": url.query,
                                     "authorization": self.headers.get("Authorization"), "body": raw})
                if self.headers.get("Authorization") != f"Bearer {hub.token}":
                    # echo the credential back, as a careless server might: curate must mask it
                    return self._reply(401, {"error": f"Invalid credentials: {self.headers.get('Authorization')}"})
                status, payload = hub.route(self.command, unquote(url.path), raw, url.query)
                self._reply(status, payload)

            do_GET = do_POST = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    @property
    def api_requests(self) -> list[dict]:
        """Requests of the push itself (huggingface_hub also fetches its agent-harness list for its User-Agent)."""
        return [r for r in self.requests if r["path"] != "/api/agent-harnesses"]

    def files(self, repo: str, branch: str = "main") -> dict[str, bytes]:
        return self.repos[repo]["branches"][branch]

    def route(self, method: str, path: str, raw: bytes, query: str):
        if method == "POST" and path == "/api/repos/create":
            body = json.loads(raw)
            repo = f"{body['organization']}/{body['name']}" if body.get("organization") else body["name"]
            assert body["type"] == "dataset"
            if repo in self.repos:
                return 409, {"error": "You already created this dataset repo",
                             "url": f"{self.endpoint}/datasets/{repo}"}  # the Hub sends the url with the 409
            self.repos[repo] = {"private": body.get("visibility") == "private", "branches": {"main": {}}}
            return 200, {"url": f"{self.endpoint}/datasets/{repo}", "name": repo}
        if method == "POST" and path == "/api/validate-yaml":
            meta = yaml.safe_load(json.loads(raw)["content"].split("---\n")[1])
            return (200, {"errors": [], "warnings": []}) if isinstance(meta, dict) else (400, {"errors": [{}]})
        if not path.startswith("/api/datasets/"):
            return 404, {"error": f"no route {method} {path}"}
        rest = path[len("/api/datasets/"):]
        for verb in ("preupload", "commit", "tree", "branch"):
            marker = f"/{verb}/"
            if marker in rest:
                repo, tail = rest.split(marker, 1)
                break
        else:
            return 404, {"error": f"no route {method} {path}"}
        if repo not in self.repos:
            return 404, {"error": "Repository not found"}
        branches = self.repos[repo]["branches"]
        if verb == "branch":
            if tail in branches:
                return 409, {"error": "branch exists"}
            branches[tail] = dict(branches["main"])
            return 200, {}
        if tail not in branches:
            return 404, {"error": f"Invalid rev id: {tail}"}
        if verb == "tree":
            return 200, [{"type": "file", "path": p, "size": len(b), "oid": hashlib.sha1(b).hexdigest()}
                         for p, b in sorted(branches[tail].items())]
        if verb == "preupload":
            files = json.loads(raw)["files"]
            return 200, {"files": [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False}
                                   for f in files]}
        lines = [json.loads(line) for line in raw.decode().splitlines() if line.strip()]
        assert lines[0]["key"] == "header"
        tree = branches[tail]
        commit = {"branch": tail, "summary": lines[0]["value"]["summary"], "added": [], "deleted": []}
        for line in lines[1:]:
            if line["key"] == "file":
                assert line["value"]["encoding"] == "base64"
                tree[line["value"]["path"]] = base64.b64decode(line["value"]["content"])
                commit["added"].append(line["value"]["path"])
            elif line["key"] == "deletedFile":
                del tree[line["value"]["path"]]
                commit["deleted"].append(line["value"]["path"])
            else:
                return 400, {"error": f"unexpected commit operation {line['key']}"}
        self.commits.append(commit)
        oid = hashlib.sha1(raw).hexdigest()
        return 200, {"commitUrl": f"{self.endpoint}/datasets/{repo}/commit/{oid}", "commitOid": oid}


@pytest.fixture
def hub(monkeypatch, tmp_path):
    fake = FakeHub()
    monkeypatch.setenv("HF_ENDPOINT", fake.endpoint)
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf_home"))  # never read the developer's saved login
    from huggingface_hub import constants

    # conftest sets HF_HUB_OFFLINE=1 for the whole suite; these tests only ever reach the local fake Hub
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    yield fake
    fake.httpd.shutdown()
    fake.httpd.server_close()


FEATURES_META = {"info": {"features": {"sent_id": {"dtype": "string", "_type": "Value"},
                                       "tokens": {"feature": {"dtype": "string", "_type": "Value"},
                                                  "_type": "List"}}}}


def make_build(out: Path, layout: dict[str, dict[str, list[int]]]) -> Path:
    """A build folder in the finalize layout: config -> split -> rows per shard (IPC stream shards)."""
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
                name = f"data-{i:05d}-of-{len(shard_rows):05d}.arrow"
                ids = [f"{config}-{split}-{start + r}" for r in range(n)]
                table = pa.table({"sent_id": ids, "tokens": [["Il-", "kelma", str(r)] for r in range(n)]},
                                 schema=schema)
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
    configs_yaml = [{"config_name": c, "data_files": [{"split": s, "path": f"{c}/{s}/data-*.arrow"} for s in sp],
                     **({"default": True} if i == 0 else {})} for i, (c, sp) in enumerate(layout.items())]
    meta = {"pretty_name": "maltese-etymology", "license": "cc-by-sa-4.0", "language": ["mt"],
            "configs": configs_yaml}
    (out / "README.md").write_text(f"---\n{yaml.safe_dump(meta, sort_keys=False)}---\n\n# Maltese ħ etymology\n",
                                   encoding="utf-8")
    return out


LAYOUT = {"annotations": {"train": [3, 2], "validation": [2], "test": [1]}, "mudt": {"train": [4], "test": [0]}}


def test_push_uploads_everything_in_one_commit(hub, tmp_path, capfd):
    build = make_build(tmp_path / "build", LAYOUT)
    before = {p: p.read_bytes() for p in build.rglob("*") if p.is_file()}
    assert curate_main(["push", str(build), "my-org/maltese-etymology", "--private"]) == 0
    out = capfd.readouterr()
    assert TOKEN not in out.out + out.err
    assert "in one commit" in out.out
    assert "note: split mudt/test is empty: left out of the upload and the card" in out.out

    routes = [(r["method"], r["path"]) for r in hub.api_requests]
    assert routes[0] == ("POST", "/api/repos/create")
    assert ("POST", "/api/validate-yaml") in routes
    assert [p for m, p in routes if "/commit/" in p] == ["/api/datasets/my-org/maltese-etymology/commit/main"]
    assert all(r["authorization"] == f"Bearer {TOKEN}" for r in hub.api_requests)
    assert hub.repos["my-org/maltese-etymology"]["private"] is True
    assert len(hub.commits) == 1 and hub.commits[0]["summary"].startswith("Upload maltese-etymology 1.0.0")

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
    # a push to a branch creates it and leaves main alone
    push(make_build(tmp_path / "b3", {"annotations": {"train": [1]}}), "me/ds", revision="v1.0", say=lambda s: None)
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
    assert "push to dataset me/ds failed" in out.err
    assert "hf_***" in out.err  # the server echoed the credential; it was masked
    assert TOKEN not in out.out + out.err


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
