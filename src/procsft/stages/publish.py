"""The publish step: the run manifest, the MLflow runs and the adapter registry."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from procsft.config import StudyConfig
from procsft.run_folder import RunFolder


def publish_stage(config: StudyConfig, run: RunFolder, console: Console) -> dict[str, Any]:
    """Publish the finished run and return what was published: `run_manifest.json` (every
    artifact's sha256 and URI, the last write into the folder), an MLflow parent run with a
    child per configuration, and every adapter in the model registry. An unreachable store or
    tracking server does not fail the study: the run is complete locally, one line says so,
    and `procsft sync` publishes it later (publishing twice adds nothing)."""
    from procsft.store.artifacts import StoreError
    from procsft.store.manifest import write_manifest
    from procsft.store.registry import register_adapters
    from procsft.store.stores import open_store
    from procsft.store.tracking import log_run, resolve_tracking_uri, tracking_unreachable

    def kept_locally(reason: str) -> dict[str, Any]:
        reason = " ".join(reason.split())[:400]  # one line, whatever the library wrote
        console.print(
            f"not published ({reason}); the run is complete in {run.root}: "
            f"`procsft sync {run.root}` publishes it later",
            markup=False,
            soft_wrap=True,
        )
        return {"published": False, "reason": reason}

    try:
        write_manifest(run.root, open_store(config))
    except StoreError as err:
        return kept_locally(f"artifact store: {err}")
    uri = resolve_tracking_uri(config.storage, config.storage.runs_dir)
    if problem := tracking_unreachable(uri):
        return kept_locally(f"tracking server {uri} unreachable: {problem}")
    try:
        logged = log_run(run.root, tracking_uri=uri, experiment=config.storage.experiment)
        versions = register_adapters(run.root, logged, config)
    except Exception as err:  # any tracking failure: the run itself is complete on disk
        return kept_locally(f"tracking at {uri} failed: {err}")
    console.print(f"mlflow: {uri} ({logged.status}, {len(versions)} adapter versions)")
    return {
        "published": True,
        "tracking_uri": uri,
        "mlflow": logged.status,
        "adapter_versions": len(versions),
    }
