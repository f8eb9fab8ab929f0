"""Ray for `--executor ray`: join an existing cluster (`--ray-address` / `RAY_ADDRESS`) or start a private one.

datatrove's `RayPipelineExecutor` expects the caller to have run `ray.init()`. Without an address we start a
private single-machine instance sized to `--workers`; with one we connect to that cluster and leave its
sizing to it. The address is probed with a plain TCP connect first: `ray.init` against a dead address
retries for about a minute before failing, and a user should hear within seconds that it is wrong.

On Slurm, `curate build` returns once the job array is submitted and its lock goes with it: `submit` leaves
`submitted.json` in the staging area (the job ids, time, host) so that another build of the same folder is
refused until the finalize job clears it, or until `squeue` no longer knows the jobs (`queued_jobs`).

On a real cluster every node must see the output folder at the same path (a shared filesystem) and have
the same environment installed; the `CURATE_*` variables and `PYTHONPATH` of the driver are handed to the
workers through the job's runtime environment so extra builders and logging settings follow the job.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
from pathlib import Path
from typing import Any

from curate.errors import CurateError
from curate.staging import Staging

PROBE_TIMEOUT_S = 5.0
# passed to every worker of the job: builder discovery and logging settings, not credentials
FORWARDED_ENV_PREFIXES = ("CURATE_",)
FORWARDED_ENV_NAMES = ("PYTHONPATH",)


class RayClusterError(CurateError):
    """The Ray cluster named by --ray-address / RAY_ADDRESS cannot be used."""


def resolve_address(address: str | None) -> str | None:
    """The address to join: the flag wins, then `RAY_ADDRESS`; None means start a private instance."""
    address = (address or os.environ.get("RAY_ADDRESS") or "").strip()
    return address or None


def split_host_port(address: str) -> tuple[str, int] | None:
    """`host:port` or `ray://host:port` → (host, port); None for `auto` (Ray finds the local cluster)."""
    if address in ("auto", "local"):
        return None
    bare = address.removeprefix("ray://")
    host, sep, port = bare.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise RayClusterError(
            f"Ray address {address!r} is not host:port, ray://host:port or auto (from --ray-address or RAY_ADDRESS)"
        )
    return host.strip("[]"), int(port)


# HTTP/2 client preface + an empty SETTINGS frame: a gRPC server (Ray's GCS, the Ray client server)
# answers with its own SETTINGS frame (type 4); an HTTP/1 server or anything else does not
_H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0])


def probe(address: str, timeout: float = PROBE_TIMEOUT_S) -> None:
    """Fail fast, naming the address, when nothing listens there or what listens is not gRPC (Ray)."""
    target = split_host_port(address)
    if target is None:
        return
    try:
        with socket.create_connection(target, timeout=timeout) as sock:
            sock.sendall(_H2_PREFACE)
            head = sock.recv(9)
    except TimeoutError:
        head = b""
    except OSError as exc:
        raise RayClusterError(
            f"cannot reach the Ray cluster at {address}: {exc.strerror or exc} "
            "(start one with `ray start --head`, or fix --ray-address / RAY_ADDRESS)"
        ) from None
    if len(head) < 4 or head[3] != 4:
        raise RayClusterError(f"{address} answers, but not as a Ray cluster (no gRPC/HTTP2 handshake): "
                              "is it the head node's GCS port (`ray start --head --port`)?")


def forwarded_env() -> dict[str, str]:
    """What Ray workers need of this environment, never a variable that looks like a credential."""
    return {k: v for k, v in os.environ.items()
            if (k in FORWARDED_ENV_NAMES or k.startswith(FORWARDED_ENV_PREFIXES))
            and not any(s in k for s in ("TOKEN", "SECRET", "PASS", "KEY"))}


def connect(address: str | None, workers: int) -> dict[str, Any]:
    """Initialise Ray in this process (once) and describe what it joined: address, nodes, CPUs."""
    import ray

    address = resolve_address(address)
    if not ray.is_initialized():
        if address is None:
            # RAY_ADDRESS is empty here, so ray.init starts a private instance instead of connecting
            ray.init(num_cpus=max(1, workers), include_dashboard=False, log_to_driver=False)
        else:
            probe(address)
            try:
                ray.init(address=address, log_to_driver=False, runtime_env={"env_vars": forwarded_env()})
            except (ConnectionError, TimeoutError, RuntimeError, ValueError) as exc:
                raise RayClusterError(f"could not join the Ray cluster at {address}: {exc}") from None
    nodes = [n for n in ray.nodes() if n.get("Alive")]
    return {"address": address or "private", "nodes": len(nodes),
            "cpus": int(sum(n.get("Resources", {}).get("CPU", 0) for n in nodes))}


def activate_script(venv: str | None) -> str | None:
    """datatrove's Slurm script runs `source {venv_path}`: it needs the activate script, not the venv folder
    ($VIRTUAL_ENV), which `source` refuses, leaving the job to whatever environment sbatch exported."""
    if venv and Path(venv).is_dir() and (Path(venv) / "bin" / "activate").is_file():
        return str(Path(venv) / "bin" / "activate")
    return venv


def memory_gb(text: str) -> int:
    """--mem-per-cpu-gb: a whole, positive number of GB (datatrove writes `--mem-per-cpu=<n>G`, which Slurm
    reads as an integer)."""
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole, positive number of GB")
    return int(text)


def submit(units: Any, finalize: Any, staging: Staging) -> None:
    """Submit the units array and its dependent finalize job (datatrove's `SlurmPipelineExecutor`s), leaving
    the submission marker behind: written before `sbatch` so a kill mid-submission still claims the folder,
    then rewritten with the job ids, or removed when nothing went out."""
    staging.record_submission([])
    try:
        finalize.run()  # datatrove submits the dependency (the units array) first
    finally:
        ids = [str(j) for j in (units.job_id, finalize.job_id) if j not in (None, -1)]
        if not ids:
            staging.end_submission()
        elif staging.submission_file.exists():  # a tiny build's finalize job may already have ended and freed it
            staging.record_submission(ids)


# states in which a job can still write; squeue --states=all also lists ended ones (until MinJobAge)
_LIVE_STATES = {"PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "SUSPENDED", "REQUEUED", "REQUEUE_HOLD",
                "REQUEUE_FED", "RESIZING", "SIGNALING", "STAGE_OUT", "STOPPED", "RESV_DEL_HOLD", "SPECIAL_EXIT"}


def queued_jobs(job_ids: list[str]) -> tuple[list[str] | None, str]:
    """(`squeue` lines `id state reason` of those jobs that can still write, why it could not tell): [] when
    none can (ended, or forgotten: "Invalid job id"), None when squeue cannot tell (no ids, no squeue here,
    squeue failing). The user's SQUEUE_* / SLURM_CLUSTERS settings are dropped: `SQUEUE_STATES=PD` would hide
    running jobs and free a folder still being written."""
    if not job_ids:
        return None, "no job id was recorded"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SQUEUE_") and k != "SLURM_CLUSTERS"}
    try:
        proc = subprocess.run(["squeue", "-h", "--states=all", "-o", "%i %T %r", "-j", ",".join(job_ids)],
                              capture_output=True, text=True, timeout=30, env=env)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"squeue did not run: {exc}"
    if proc.returncode != 0:
        if "invalid job id" in proc.stderr.lower():
            return [], ""
        return None, f"squeue failed: {proc.stderr.strip()[:200] or f'exit {proc.returncode}'}"
    lines = [line.strip() for line in proc.stdout.splitlines() if line.strip()]
    return [line for line in lines if len(line.split()) > 1 and line.split()[1] in _LIVE_STATES], ""
