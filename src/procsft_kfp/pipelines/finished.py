"""Whether a local run has anything left to do: an unchanged rerun of a finished run has not.

Rerunning `make run` on a finished run folder starts every step again, each in a fresh
process that imports kfp, torch or mlflow, only for each to find its work done (about 30 s
on 2 cores). So when the pipeline succeeds, the local runner records a stamp of what the
result depends on: the config (storage included: it says where the run is published), the
source of procsft and procsft_kfp, the tracking URI from the environment, and the size and
modification time of every file of the run folder, with the answer table it printed. A
rerun that finds all of them equal has nothing to run: it prints that table again (rendering
it anew would import the whole analysis, pandas and all: seconds). Anything else (a file
touched, removed or added, another config, edited code, a failure marker, the local tracking
database gone) runs the pipeline, which resumes what is missing. Runs published to a server
or an S3 store always run the pipeline: publishing there may have failed (the run still
succeeds), and only the publish step retries it.

The stamps live beside the pipeline's own outputs (`<pipeline root>/finished/`), not in the
run folder, whose every file the run manifest records.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import procsft
import procsft_kfp
from procsft.atomic import write_text_atomic
from procsft.config import StudyConfig

STAMPS = "finished"
"""Folder of the stamps under the pipeline root."""
HEADLINE = "headline"
"""The stamp's key for the answer as the run printed it."""


def stamp_path(pipeline_root: Path, run: Path) -> Path:
    """Return where the stamp of run folder `run` is kept."""
    return pipeline_root / STAMPS / f"{run.name}.json"


def record_finished(
    config: StudyConfig, run: Path, pipeline_root: Path, image: str | None, headline: str = ""
) -> None:
    """Record that the pipeline of `config` finished `run` (call after it succeeded), with the
    `headline` text a rerun prints (rendering it again would import the whole analysis)."""
    if not _skippable(config, run):
        return
    path = stamp_path(pipeline_root, run)
    path.parent.mkdir(parents=True, exist_ok=True)
    stamp = {**_state(config, run, image), HEADLINE: headline}
    write_text_atomic(path, json.dumps(stamp, sort_keys=True) + "\n")


def unchanged_since_finished(
    config: StudyConfig, run: Path, pipeline_root: Path, image: str | None
) -> str | None:
    """Return the recorded headline text when `run` is finished and nothing it depends on
    changed since, else None."""
    path = stamp_path(pipeline_root, run)
    if not path.is_file() or not _skippable(config, run):
        return None
    try:
        recorded = json.loads(path.read_text(encoding="utf-8"))
        headline = recorded.pop(HEADLINE)
    except (OSError, ValueError, KeyError, AttributeError):
        return None  # a torn or foreign stamp: run the pipeline, which stamps it again
    return headline if recorded == _state(config, run, image) else None


def _skippable(config: StudyConfig, run: Path) -> bool:
    """Return whether a finished run of `config` is published where nothing can fail: a local
    tracking database that exists and the local artifact store."""
    if (config.storage.artifacts or "").startswith("s3://"):
        return False
    uri = config.storage.tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or ""
    if uri:
        return uri.startswith("sqlite:///") and Path(uri.removeprefix("sqlite:///")).is_file()
    # The default: <runs_dir>/_mlflow/mlruns.db (procsft.store.tracking.resolve_tracking_uri).
    return (run.parent / "_mlflow" / "mlruns.db").is_file()


def _state(config: StudyConfig, run: Path, image: str | None) -> dict[str, Any]:
    """Return what a finished run's result depends on, JSON-ready."""
    return {
        "config": config.model_dump(mode="json"),
        "image": image,
        "tracking_uri_env": os.environ.get("MLFLOW_TRACKING_URI"),
        "code_sha256": _code_sha256(),
        "files": _files(run),
    }


def _files(root: Path) -> dict[str, list[int]]:
    """Return [size, mtime in ns] of every file under `root`: a rewrite changes the mtime."""
    files = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            stat = path.stat()
            files[path.relative_to(root).as_posix()] = [stat.st_size, stat.st_mtime_ns]
    return files


def _code_sha256() -> str:
    """Return the sha256 of every source and asset file of procsft and procsft_kfp."""
    digest = hashlib.sha256()
    for package in (procsft, procsft_kfp):
        root = Path(package.__file__).parent
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(path.relative_to(root).as_posix().encode() + b"\0")
                digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()
