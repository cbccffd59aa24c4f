"""The shared volume that holds run folders: every step mounts it at the same path."""

from kfp import dsl, kubernetes

RUNS_MOUNT = "/mnt/runs"
"""Where steps see the run folders (the pipeline's default `run_root`)."""


def mount_runs(task: dsl.PipelineTask, pvc_name: str) -> dsl.PipelineTask:
    """Return `task` with PVC `pvc_name` (ReadWriteMany: steps run in parallel) at RUNS_MOUNT."""
    return kubernetes.mount_pvc(task, pvc_name=pvc_name, mount_path=RUNS_MOUNT)
