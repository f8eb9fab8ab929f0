"""`--executor ray --ray-address`: a build joins a real two-node Ray cluster started here and writes the
local build's bytes; a dead address fails within seconds with a clear message.

The cluster is two `ray start --block` processes (a head and a second node, one CPU each, own temp
folders, free ports) so that teardown can end exactly those by pid. `ray stop` is not used: it kills every
Ray process on the machine, including other users' clusters.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from conftest import REPO, shard_hashes

pytest.importorskip("ray")  # the `test` extra installs it

from curate.cli import main

RAY = Path(sys.executable).parent / "ray"
START_TIMEOUT_S = 60
RAY_ENV = {"RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0"}


def _free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def _start_node(name: str, root: Path, args: list[str], env: dict[str, str]) -> subprocess.Popen:
    agent, grpc, runtime_env, metrics, manager, objects = _free_ports(6)
    log = open(root / f"{name}.out", "w")
    proc = subprocess.Popen(
        [str(RAY), "start", "--block", "--num-cpus", "1", "--object-store-memory", str(100 * 1024 * 1024),
         "--temp-dir", str(root / name), "--dashboard-agent-listen-port", str(agent),
         "--dashboard-agent-grpc-port", str(grpc), "--runtime-env-agent-port", str(runtime_env),
         "--metrics-export-port", str(metrics), "--node-manager-port", str(manager),
         "--object-manager-port", str(objects), *args],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    deadline = time.monotonic() + START_TIMEOUT_S
    while "Ray runtime started" not in (root / f"{name}.out").read_text():
        if proc.poll() is not None or time.monotonic() > deadline:
            _stop(proc)
            pytest.fail(f"ray start ({name}) did not come up:\n" + (root / f"{name}.out").read_text()[-3000:])
        time.sleep(0.3)
    return proc


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM makes `ray start --block` shut down the processes of its node; then its group, by id."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="module")
def cluster():
    # short root: Ray's Unix socket paths under it must stay below 108 characters
    root = Path(tempfile.mkdtemp(prefix="cray", dir="/tmp"))
    gcs, client, dashboard = _free_ports(3)
    # SLOW_SLEEP: units last a few seconds, so the two tasks in flight overlap on the two one-CPU nodes
    base = {**os.environ, **RAY_ENV, "SLOW_SLEEP": "0.3"}
    base.pop("RAY_ADDRESS", None)
    nodes: list[subprocess.Popen] = []
    try:
        # each node's Ray workers inherit its environment: SLOW_LOG tells which node generated a unit
        nodes.append(_start_node("head", root, [
            "--head", "--port", str(gcs), "--ray-client-server-port", str(client), "--include-dashboard=false",
            "--dashboard-port", str(dashboard), "--min-worker-port", "0", "--max-worker-port", "0"],
            {**base, "SLOW_LOG": str(root / "units-head.log")}))
        nodes.append(_start_node("node2", root, [
            "--address", f"127.0.0.1:{gcs}", "--resources", '{"second_node": 1}',
            "--min-worker-port", "0", "--max-worker-port", "0"],
            {**base, "SLOW_LOG": str(root / "units-node2.log")}))
        yield {"address": f"127.0.0.1:{gcs}", "root": root}
    finally:
        for proc in reversed(nodes):
            _stop(proc)
        shutil.rmtree(root, ignore_errors=True)


def test_build_on_two_node_cluster_matches_local(cluster, slow_env, monkeypatch):
    monkeypatch.setenv("SLOW_UNITS", "2")  # 2 tasks in flight, one CPU per node: one task on each node
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    assert main(["build", "test-slow-counting", "--out", str(slow_env / "local"), "--no-progress"]) == 0
    out = slow_env / "ray"
    # SLOW_LOG and SLOW_SLEEP are not forwarded (only CURATE_* and PYTHONPATH are): the nodes set them
    env = {**os.environ, **RAY_ENV}
    env.pop("SLOW_LOG")
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "curate.cli", "build", "test-slow-counting", "--out", str(out),
                           "--executor", "ray", "--workers", "2", "--ray-address", cluster["address"]],
                          env=env, capture_output=True, text=True, cwd=REPO, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    elapsed = time.monotonic() - start
    assert shard_hashes(out) == shard_hashes(slow_env / "local")
    head = (cluster["root"] / "units-head.log").read_text().split()
    node2 = (cluster["root"] / "units-node2.log").read_text().split()
    assert head and node2, (head, node2)  # both nodes generated units
    assert sorted(head + node2) == [f"unit-{i}" for i in range(2)]
    assert elapsed < 120, elapsed


@pytest.mark.parametrize("how", ["flag", "env"])
def test_unreachable_address_fails_within_seconds(slow_env, monkeypatch, capsys, how):
    (dead,) = _free_ports(1)  # nothing listens there once the probe socket is closed
    args = ["build", "test-slow-counting", "--out", str(slow_env / "o"), "--executor", "ray", "--no-progress"]
    if how == "flag":
        args += ["--ray-address", f"127.0.0.1:{dead}"]
    else:
        monkeypatch.setenv("RAY_ADDRESS", f"127.0.0.1:{dead}")
    start = time.monotonic()
    assert main(args) == 2
    assert f"cannot reach the Ray cluster at 127.0.0.1:{dead}" in capsys.readouterr().err
    assert time.monotonic() - start < 30  # a TCP probe, not Ray's minute of reconnection attempts
    import ray

    assert not ray.is_initialized()


def test_a_listener_that_is_not_ray_fails_within_seconds(slow_env, capsys):
    import http.server
    import threading

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    address = f"127.0.0.1:{httpd.server_address[1]}"
    try:
        start = time.monotonic()
        assert main(["build", "test-slow-counting", "--out", str(slow_env / "o"), "--executor", "ray",
                     "--no-progress", "--ray-address", address]) == 2
        assert time.monotonic() - start < 30  # ray.init itself would retry for minutes
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert f"{address} answers, but not as a Ray cluster" in capsys.readouterr().err


def test_ray_address_parsing_and_misuse(tmp_path):
    from curate.cluster import RayClusterError, split_host_port

    assert split_host_port("ray://10.0.0.5:10001") == ("10.0.0.5", 10001)
    assert split_host_port("head.cluster:6379") == ("head.cluster", 6379)
    assert split_host_port("auto") is None
    for bad in ("10.0.0.5", "10.0.0.5:port", ":6379", "h:70000"):
        with pytest.raises(RayClusterError, match="not host:port"):
            split_host_port(bad)
    assert main(["build", "maltese-etymology", "--sample", "--out", str(tmp_path), "--ray-address", "h:1"]) == 2
