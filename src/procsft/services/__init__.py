"""Local services for `make up` / `make down`: SeaweedFS (S3) and an MLflow tracking server.

Both listen on 127.0.0.1 only. `up` starts what is not running, waits until both answer and
records pids and ports in the state folder (`.services/`, or `$PROCSFT_SERVICES_DIR`); `down`
stops exactly those processes: SIGTERM, then SIGKILL after a short wait (weed takes ~17 s to
honour SIGTERM). The S3 keys are generated once and kept in `<state>/credentials` (mode 600);
they are never printed.

    python -m procsft.services up|down|status
"""

from procsft.services.cli import main
from procsft.services.settings import (
    BUCKET,
    HOST,
    ServiceError,
    Settings,
    credentials,
    default_root,
    settings_from_env,
    settings_with_free_ports,
)
from procsft.services.supervisor import start, status, stop

__all__ = [
    "BUCKET",
    "HOST",
    "ServiceError",
    "Settings",
    "credentials",
    "default_root",
    "main",
    "settings_from_env",
    "settings_with_free_ports",
    "start",
    "status",
    "stop",
]
