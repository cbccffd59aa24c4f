"""Starting, watching and stopping the local services: one process group each, recorded in
the state folder, so `down` stops exactly what `up` started."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from procsft.atomic import write_text_atomic
from procsft.services.settings import (
    _SIGNATURE,
    GRPC,
    HOST,
    SERVICES,
    ServiceError,
    Settings,
    credentials,
    default_root,
    mlflow_command,
    weed_command,
)


def start(settings: Settings, names: tuple[str, ...] = SERVICES, timeout_s: float = 120.0) -> dict:
    """Return the service URLs once every service in `names` answers, starting those that are
    not running (their pids and ports go to `<root>/state.json`)."""
    root = settings.root
    for sub in ("weed", "logs", "run"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    with _locked(root):
        return _start(settings, names, timeout_s)


def _start(settings: Settings, names: tuple[str, ...], timeout_s: float) -> dict:
    root = settings.root
    access, secret = credentials(settings)
    state = _read_state(root)
    if any(_alive(state, name) for name in SERVICES) and state.get("ports") != settings.ports:
        raise ServiceError(f"{root}: services already run on other ports; `down` them first")
    state["ports"], state["bucket"] = settings.ports, settings.bucket
    state.setdefault("pids", {})
    if "weed" in names and not _alive(state, "weed"):
        identities = root / "s3-identities.json"
        _write_private(identities, json.dumps(_identities(access, secret)))
        _remove_weed_sockets(settings.ports)  # a killed weed leaves them; ours by port number
        # A weed killed a moment ago may still hold its ports while its threads wind down.
        _wait_ports_free([v for k, v in settings.ports.items() if k != "mlflow"], 15.0)
        state["pids"]["weed"] = _spawn(weed_command(settings, identities), root / "weed.log", {})
    if "mlflow" in names and not _alive(state, "mlflow"):
        env = {
            "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",  # else ~15 processes, 2.3 GiB
            "MLFLOW_S3_ENDPOINT_URL": settings.s3_url,
            "AWS_ACCESS_KEY_ID": access,
            "AWS_SECRET_ACCESS_KEY": secret,
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        _wait_ports_free([settings.ports["mlflow"]], 15.0)
        state["pids"]["mlflow"] = _spawn(mlflow_command(settings), root / "mlflow.log", env)
    _write_state(root, state)
    deadline = time.monotonic() + timeout_s
    if "weed" in names:
        _wait(state, "weed", deadline, lambda: _s3_ready(settings, access, secret))
    if "mlflow" in names:
        _wait(state, "mlflow", deadline, lambda: _http_ok(f"{settings.mlflow_url}/health"))
    return {"s3": settings.s3_url, "bucket": settings.bucket, "mlflow": settings.mlflow_url}


def stop(root: Path | None = None, names: tuple[str, ...] = SERVICES, wait_s: float = 3.0) -> list:
    """Return the (name, pid) pairs stopped: SIGTERM to each recorded process group, SIGKILL
    to what is left after `wait_s`. Processes `start` did not record are never touched."""
    root = root or default_root()
    if not root.is_dir():
        return []
    with _locked(root):
        return _stop(root, names, wait_s)


def _stop(root: Path, names: tuple[str, ...], wait_s: float) -> list:
    state = _read_state(root)
    live = {n: state["pids"][n] for n in names if _alive(state, n)}
    for pid in live.values():
        _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + wait_s
    while any(_group_alive(pid) for pid in live.values()) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in live.values():
        _signal_group(pid, signal.SIGKILL)
    for pid in live.values():
        _wait_gone(pid, 10.0)
    for name in names:
        state.get("pids", {}).pop(name, None)
    if "weed" in names:
        _remove_weed_sockets(state.get("ports", {}))
    _write_state(root, state)
    return sorted(live.items())


@contextlib.contextmanager
def _locked(root: Path) -> Iterator[None]:
    """Hold the state folder's lock: two `up`s at once would each start a server."""
    with (root / ".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def status(root: Path | None = None) -> dict[str, dict[str, Any]]:
    """Return, per service, its pid, whether it is running and its URL."""
    root = root or default_root()
    state = _read_state(root)
    ports = state.get("ports", {})
    urls = {
        "weed": f"http://{HOST}:{ports['s3']}" if "s3" in ports else None,
        "mlflow": f"http://{HOST}:{ports['mlflow']}" if "mlflow" in ports else None,
    }
    return {
        name: {
            "pid": state.get("pids", {}).get(name),
            "running": _alive(state, name),
            "url": urls[name],
        }
        for name in SERVICES
    }


def _identities(access: str, secret: str) -> dict:
    credentials = [{"accessKey": access, "secretKey": secret}]
    actions = ["Admin", "Read", "Write", "List", "Tagging"]
    return {"identities": [{"name": "procsft", "credentials": credentials, "actions": actions}]}


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def _wait_ports_free(ports: list[int], timeout_s: float) -> None:
    """Return once every port can be bound on loopback; name the first busy one otherwise."""
    deadline = time.monotonic() + timeout_s
    for port in ports:
        while True:
            with socket.socket() as sock:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Go listeners do
                try:
                    sock.bind((HOST, port))
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise ServiceError(
                            f"port {port} on {HOST} is in use; stop what holds it or choose "
                            "other ports (PROCSFT_S3_PORT, PROCSFT_MLFLOW_PORT, PROCSFT_WEED_*)"
                        ) from None
            time.sleep(0.1)


def _spawn(command: list[str], log: Path, env: dict[str, str]) -> int:
    """Start `command` in its own session (so its whole group can be signalled); return its pid."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **env},
            cwd=log.parent,
            start_new_session=True,
        )
    return process.pid


def _wait(state: dict, name: str, deadline: float, ready: Any) -> None:
    root = Path(state["root"])
    while time.monotonic() < deadline:
        if ready():
            return
        if not _alive(state, name):
            raise ServiceError(f"{name} exited while starting; see {root / f'{name}.log'}")
        time.sleep(0.2)
    raise ServiceError(f"{name} did not answer in time; see {root / f'{name}.log'}")


def _s3_ready(settings: Settings, access: str, secret: str) -> bool:
    """Return whether S3 serves writes: the bucket exists (made if not) and a probe is stored.

    The port opens before the master has a leader and a volume: only a real write proves it.
    """
    from procsft.store.artifacts import StoreError
    from procsft.store.s3 import S3Store

    store = S3Store(
        settings.bucket,
        endpoint_url=settings.s3_url,
        access_key=access,
        secret_key=secret,
        max_attempts=1,
        attempts=1,
        connect_timeout=1,
        read_timeout=5,
    )
    try:
        client = store.client
        try:
            client.head_bucket(Bucket=settings.bucket)
        except Exception:  # noqa: BLE001 - a missing bucket or a server still starting
            client.create_bucket(Bucket=settings.bucket)
        client.put_object(Bucket=settings.bucket, Key=".procsft-ready", Body=b"x" * 4096)
        client.delete_object(Bucket=settings.bucket, Key=".procsft-ready")
        return True
    except (StoreError, Exception):  # noqa: BLE001 - not ready yet
        return False


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _state_path(root: Path) -> Path:
    return root / "state.json"


def _read_state(root: Path) -> dict[str, Any]:
    try:
        state = json.loads(_state_path(root).read_text())
    except (OSError, ValueError):
        state = {}
    state["root"] = str(root)
    state.setdefault("pids", {})
    return state


def _write_state(root: Path, state: dict[str, Any]) -> None:
    write_text_atomic(_state_path(root), json.dumps(state, indent=2) + "\n")


def _alive(state: dict, name: str) -> bool:
    """Return whether the recorded pid of `name` runs and is that service (not a reused pid)."""
    pid = state.get("pids", {}).get(name)
    if not pid or not _running(pid):
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return True  # no /proc (macOS): trust the pid
    return _SIGNATURE[name] in cmdline


def _running(pid: int) -> bool:
    """Return whether `pid` exists and is not a zombie (an unreaped child counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[0] != "Z"


def _group_alive(pgid: int) -> bool:
    """Return whether any live (non-zombie) process is left in process group `pgid`."""
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            return False
        return True
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _wait_gone(pgid: int, timeout_s: float) -> None:
    """Return once the group is gone and its leader reaped, if it is our child (`make down`
    runs in another process: then init reaps it)."""
    deadline = time.monotonic() + timeout_s
    reaped = False
    while time.monotonic() < deadline:
        if not reaped:
            try:
                # A Go leader shows as a zombie before its threads are done; only waitpid knows.
                reaped = os.waitpid(pgid, os.WNOHANG)[0] != 0
            except ChildProcessError:
                reaped = True
        if reaped and not _group_alive(pgid):
            return
        time.sleep(0.05)


def _remove_weed_sockets(ports: dict[str, int]) -> None:
    """Remove the gRPC unix sockets weed leaves in /tmp (their path is not configurable)."""
    for kind in GRPC:
        if f"{kind}_grpc" in ports:
            Path(f"/tmp/seaweedfs-{kind}-grpc-{ports[f'{kind}_grpc']}.sock").unlink(missing_ok=True)
