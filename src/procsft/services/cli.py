"""The command line of the local services: `up`, `down`, `status`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from procsft.errors import ProcsftError
from procsft.services.settings import default_root, settings_from_env
from procsft.services.supervisor import start, status, stop


def main(argv: list[str] | None = None) -> int:
    """Run `up`, `down` or `status`; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m procsft.services")
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
