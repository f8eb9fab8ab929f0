"""A fake Hugging Face Hub: a local http.server speaking the routes huggingface_hub calls for a push.

Repo create/info/refs, branch, tree, whoami, validate-yaml, preupload (Parquet → "lfs", the rest "regular",
with the remote oid of files already there), the LFS batch API → PUT upload → verify, NDJSON commits with
`file`, `lfsFile` and `deletedFile` lines. Faults: `fail(method, path_part, status, headers, times)` answers
the next matching requests with an error; `hold(method, path_part)` makes a matching request wait until the
test releases it, then drops it unanswered (so a test can kill the client at that exact point).
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

import yaml

TOKEN = "hf_TESTtoken0123456789abcdefSECRET"


def git_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class FakeHub:
    def __init__(self, token: str = TOKEN):
        self.token = token
        self.user, self.orgs, self.role = "me", ["my-org"], "write"
        self.fine_grained: dict | None = None
        self.repos: dict[str, dict] = {}  # repo id -> {"private", "branches": {name: {path: bytes}}, "lfs": {paths}}
        self.lfs_store: dict[str, bytes] = {}  # sha256 -> content, as uploaded through the LFS batch API
        self.requests: list[dict] = []
        self.commits: list[dict] = []
        self.faults: list[dict] = []
        self.holds: list[dict] = []
        self.lock = threading.Lock()
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

            def _body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    out = b""
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                        if size == 0:
                            self.rfile.readline()
                            return out
                        out += self.rfile.read(size)
                        self.rfile.readline()
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def _handle(self):
                raw = self._body()
                url = urlsplit(self.path)
                path = unquote(url.path)
                hub.requests.append({"method": self.command, "path": path, "query": url.query, "t": time.monotonic(),
                                     "authorization": self.headers.get("Authorization"), "body": raw})
                for hold in list(hub.holds):
                    if hold["method"] == self.command and hold["part"] in path:
                        if hold["after"] > 0:
                            hold["after"] -= 1
                            continue
                        hub.holds.remove(hold)
                        hold["reached"].set()
                        hold["release"].wait(30)
                        self.close_connection = True  # the request never got through: no answer, no effect
                        return
                for fault in list(hub.faults):
                    if fault["method"] == self.command and fault["part"] in path and fault["times"] > 0:
                        fault["times"] -= 1
                        return self._reply(fault["status"], fault["payload"], fault["headers"])
                if path.startswith("/lfs-"):  # storage URLs handed out by the batch API carry no Hub token
                    return self._reply(*hub.storage(self.command, path, raw))
                if self.headers.get("Authorization") != f"Bearer {hub.token}":
                    # echo the credential back, as a careless server might: curate must mask it
                    return self._reply(401, {"error": f"Invalid credentials: {self.headers.get('Authorization')}"})
                with hub.lock:
                    answer = hub.route(self.command, path, raw)
                self._reply(*answer)

            do_GET = do_POST = do_PUT = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    # ---- test helpers -------------------------------------------------------------------------------
    def fail(self, method: str, part: str, status: int, headers: dict | None = None, times: int = 1,
             payload: dict | None = None) -> None:
        self.faults.append({"method": method, "part": part, "status": status, "headers": headers or {},
                            "times": times, "payload": payload or {"error": "injected"}})

    def hold(self, method: str, part: str, after: int = 0) -> tuple[threading.Event, threading.Event]:
        """Stop the (after+1)-th matching request: `reached` is set; once `release` is set it is dropped."""
        reached, release = threading.Event(), threading.Event()
        self.holds.append({"method": method, "part": part, "after": after, "reached": reached, "release": release})
        return reached, release

    @property
    def api_requests(self) -> list[dict]:
        """Requests of the push itself (huggingface_hub also fetches its agent-harness list for its User-Agent)."""
        return [r for r in self.requests if r["path"] != "/api/agent-harnesses"]

    def uploads(self) -> list[str]:
        return [r["path"].rsplit("/", 1)[1] for r in self.requests if r["method"] == "PUT"]

    def files(self, repo: str, branch: str = "main") -> dict[str, bytes]:
        return self.repos[repo]["branches"][branch]

    def close(self) -> None:
        for hold in self.holds:
            hold["release"].set()
        self.httpd.shutdown()
        self.httpd.server_close()

    # ---- storage (LFS) --------------------------------------------------------------------------------
    def storage(self, method: str, path: str, raw: bytes):
        if method == "PUT" and path.startswith("/lfs-upload/"):
            oid = path.rsplit("/", 1)[1]
            if hashlib.sha256(raw).hexdigest() != oid:
                return 400, {"error": "sha256 mismatch"}
            self.lfs_store[oid] = raw
            return 200, {}
        if method == "POST" and path == "/lfs-verify":
            body = json.loads(raw)
            ok = body["oid"] in self.lfs_store and len(self.lfs_store[body["oid"]]) == body["size"]
            return (200, {}) if ok else (404, {"error": "object not found"})
        return 404, {"error": f"no route {method} {path}"}

    def lfs_batch(self, raw: bytes):
        body = json.loads(raw)
        assert body["operation"] == "upload" and "basic" in body["transfers"]
        objects = []
        for obj in body["objects"]:
            item = {"oid": obj["oid"], "size": obj["size"]}
            if obj["oid"] not in self.lfs_store:  # already stored objects get no actions: nothing to send
                item["actions"] = {"upload": {"href": f"{self.endpoint}/lfs-upload/{obj['oid']}"},
                                   "verify": {"href": f"{self.endpoint}/lfs-verify"}}
            objects.append(item)
        return 200, {"transfer": "basic", "objects": objects}

    # ---- API --------------------------------------------------------------------------------------------
    def route(self, method: str, path: str, raw: bytes):
        if method == "GET" and path == "/api/whoami-v2":
            token = {"displayName": "test", "role": self.role}
            if self.fine_grained is not None:
                token["fineGrained"] = self.fine_grained
            return 200, {"type": "user", "name": self.user, "orgs": [{"name": o} for o in self.orgs],
                         "auth": {"type": "access_token", "accessToken": token}}
        if method == "POST" and path == "/api/repos/create":
            body = json.loads(raw)
            repo = f"{body['organization']}/{body['name']}" if body.get("organization") else body["name"]
            assert body["type"] == "dataset"
            if repo in self.repos:
                return 409, {"error": "You already created this dataset repo",
                             "url": f"{self.endpoint}/datasets/{repo}"}  # the Hub sends the url with the 409
            self.repos[repo] = {"private": body.get("visibility") == "private" or bool(body.get("private")),
                                "branches": {"main": {}}, "lfs": set()}
            return 200, {"url": f"{self.endpoint}/datasets/{repo}", "name": repo}
        if method == "POST" and path == "/api/validate-yaml":
            meta = yaml.safe_load(json.loads(raw)["content"].split("---\n")[1])
            return (200, {"errors": [], "warnings": []}) if isinstance(meta, dict) else (400, {"errors": [{}]})
        if method == "POST" and path.endswith(".git/info/lfs/objects/batch"):
            return self.lfs_batch(raw)
        if not path.startswith("/api/datasets/"):
            return 404, {"error": f"no route {method} {path}"}
        rest = path[len("/api/datasets/"):]
        for verb in ("preupload", "commit", "tree", "branch", "refs", "revision"):
            marker = f"/{verb}/" if verb != "refs" else "/refs"
            if marker in rest:
                repo, tail = rest.split(marker, 1)
                break
        else:
            repo, verb, tail = rest, "info", ""
        if repo not in self.repos:
            return 404, {"error": "Repository not found"}, {"X-Error-Code": "RepoNotFound"}
        entry = self.repos[repo]
        branches = entry["branches"]
        if verb in ("info", "revision"):  # repo_info, with or without a revision
            return 200, {"id": repo, "private": entry["private"], "sha": "0" * 40}
        if verb == "refs":
            return 200, {"branches": [{"name": b, "ref": f"refs/heads/{b}", "targetCommit": "0" * 40}
                                      for b in branches], "tags": [], "converts": []}
        if verb == "branch":
            if tail in branches:
                return 409, {"error": "branch exists"}
            branches[tail] = dict(branches["main"])
            return 200, {}
        rev = tail.split("/", 1)[0]
        if rev not in branches:
            return 404, {"error": f"Invalid rev id: {rev}"}, {"X-Error-Code": "RevisionNotFound"}
        tree = branches[rev]
        if verb == "tree":
            return 200, [self._tree_entry(p, b) for p, b in sorted(tree.items())]
        if verb == "preupload":
            files = json.loads(raw)["files"]
            out = []
            for f in files:
                mode = "lfs" if f["path"].endswith(".parquet") else "regular"
                have = tree.get(f["path"])
                oid = None if have is None else (hashlib.sha256(have).hexdigest() if mode == "lfs" else git_sha1(have))
                out.append({"path": f["path"], "uploadMode": mode, "shouldIgnore": False, "oid": oid})
            return 200, {"files": out}
        return self.commit(repo, rev, tree, raw)

    def _tree_entry(self, path: str, data: bytes) -> dict:
        item = {"type": "file", "path": path, "size": len(data), "oid": git_sha1(data)}
        if path.endswith(".parquet"):
            item["lfs"] = {"oid": hashlib.sha256(data).hexdigest(), "size": len(data), "pointerSize": 134}
        return item

    def commit(self, repo: str, rev: str, tree: dict, raw: bytes):
        lines = [json.loads(line) for line in raw.decode().splitlines() if line.strip()]
        assert lines[0]["key"] == "header"
        commit = {"branch": rev, "summary": lines[0]["value"]["summary"], "added": [], "deleted": [], "lfs": []}
        new = dict(tree)
        for line in lines[1:]:
            value = line["value"]
            if line["key"] == "file":
                assert value["encoding"] == "base64"
                new[value["path"]] = base64.b64decode(value["content"])
                commit["added"].append(value["path"])
            elif line["key"] == "lfsFile":
                if value["oid"] not in self.lfs_store:
                    return 422, {"error": f"LFS object {value['oid']} was never uploaded"}
                new[value["path"]] = self.lfs_store[value["oid"]]
                commit["added"].append(value["path"])
                commit["lfs"].append(value["path"])
            elif line["key"] == "deletedFile":
                if value["path"] not in new:
                    return 404, {"error": "A file with this name doesn't exist"}
                del new[value["path"]]
                commit["deleted"].append(value["path"])
            else:
                return 400, {"error": f"unexpected commit operation {line['key']}"}
        tree.clear()
        tree.update(new)  # a commit applies all its operations or none
        self.commits.append(commit)
        oid = hashlib.sha1(raw).hexdigest()
        return 200, {"commitUrl": f"{self.endpoint}/datasets/{repo}/commit/{oid}", "commitOid": oid}
