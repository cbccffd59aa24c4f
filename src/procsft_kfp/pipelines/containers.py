"""Every step of a local run in a container, as a cluster runs it: KFP's DockerRunner with the
runs folder mounted where the pipeline mounts the runs volume, the image's non-root user, a
read-only root file system, and the host's network (no bridge)."""

import os
from pathlib import Path

from procsft.errors import ExitCode, ProcsftError
from procsft_kfp.components.images import Images
from procsft_kfp.components.volume import RUNS_MOUNT

STEP_USER = 10001
"""The images' user (`USER 10001:10001`); the k8s runs-volume Job gives it the volume."""

SCRATCH = {"/tmp": "rw,exec,size=4g"}
"""The one writable path outside the runs mount and the KFP outputs: KFP writes each step's
function there, Python and torch their scratch files (as an emptyDir does on a cluster)."""


class NoEngine(ProcsftError):
    """No Docker engine answers where docker-py looks (DOCKER_HOST or the default socket)."""

    exit_code = ExitCode.UNREACHABLE


def single_image(image: str) -> Images:
    """Return `Images` that run every step, CPU and GPU kinds alike, in `image`."""
    return Images(base=image, train=image, rollout=image)


def give_to_step_user(*folders: Path) -> None:
    """Make `folders` writable by the steps' user, as the runs-volume Job does on a cluster.
    Only root can hand a folder to another uid; anyone else keeps what they own and the
    containers run as them instead (`step_user`)."""
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() != 0:
            continue
        for path in (folder, *folder.rglob("*")):
            os.lchown(path, STEP_USER, STEP_USER)


def step_user() -> str | None:
    """Return the user the containers run as: the image's own (None) when this process could
    hand it the runs folder, else this process's uid, which owns it."""
    return None if os.geteuid() == 0 else f"{os.getuid()}:{os.getgid()}"


def docker_runner(run_root: Path, pipeline_root: Path, image: str):
    """Return KFP's DockerRunner for steps in `image` that see `run_root` at RUNS_MOUNT. KFP
    mounts `pipeline_root` itself, at its own path."""
    import docker
    import docker.types
    from kfp import local

    where = os.environ.get("DOCKER_HOST", "the default socket")
    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as err:
        raise NoEngine(f"no Docker engine answers at {where}: {err}") from None
    try:
        client.images.get(image)
    except docker.errors.ImageNotFound:
        # KFP would try to pull it from a registry.
        raise NoEngine(f"image {image!r} is not in the engine at {where}: make images") from None
    finally:
        client.close()
    give_to_step_user(run_root, pipeline_root)
    args = {
        "network_mode": "host",
        "mounts": [docker.types.Mount(target=RUNS_MOUNT, source=str(run_root), type="bind")],
        "read_only": True,
        "tmpfs": SCRATCH,
    }
    if (user := step_user()) is not None:
        args |= {"user": user, "environment": {"HOME": "/tmp"}}
    return local.DockerRunner(**args)
