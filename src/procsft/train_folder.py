"""A training output folder: trained in a hidden sibling that holds the checkpoints, published by
one rename, guarded by a lock so two trainers never share it, and resumable from its last
complete checkpoint after a kill."""

from __future__ import annotations

import fcntl
import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from procsft.atomic import publish_folder
from procsft.errors import ConfigError, ProcsftError
from procsft.run_folder import read_json

META_FILE = "train_meta.json"
CHECKPOINTS = "checkpoints"
INPUTS_FILE = "inputs.json"


class TrainingInProgress(ProcsftError):
    """Another process is training into the same output folder."""


@dataclass(frozen=True)
class TrainResult:
    """A finished training folder and what its `train_meta.json` records."""

    out: Path
    meta: dict[str, Any]
    trained: bool
    """False when `out` was already finished and was returned as it was."""

    @property
    def steps(self) -> int:
        return self.meta["steps"]

    @property
    def loss_curve(self) -> list[tuple[int, float]]:
        return [(int(step), float(loss)) for step, loss in self.meta["loss_curve"]]


def partial_folder(out: Path) -> Path:
    """Return the hidden sibling where `out` is trained, checkpointed, then renamed from."""
    return out.with_name(f".{out.name}.partial")


def finished(out: Path, inputs: dict) -> TrainResult:
    meta = json.loads((out / META_FILE).read_text())
    if {key: meta.get(key) for key in inputs} != inputs:
        raise ConfigError(
            f"{out}: holds a training output of other inputs (base model, corpus, recipe, seed "
            "or prompt version differ); remove it or choose another folder"
        )
    drop_scaffolding(out)  # left by a kill just after the rename
    return TrainResult(out, meta, trained=False)


@contextmanager
def exclusive(out: Path) -> Iterator[None]:
    """Hold a lock on `out` for this process; a second trainer into `out` is refused."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with (out.parent / f".{out.name}.lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise TrainingInProgress(f"{out}: another process is training into it") from None
        yield  # the kernel drops the lock when the process dies, so a kill leaves none


def last_checkpoint(folder: Path) -> Path | None:
    """Return the newest checkpoint whose trainer state was written (TRL writes it last)."""
    steps = []
    for path in folder.glob("checkpoint-*"):
        suffix = path.name.removeprefix("checkpoint-")
        if suffix.isdigit() and read_json(path / "trainer_state.json") is not None:
            steps.append((int(suffix), path))
    return max(steps)[1] if steps else None


def checkpoint_state(checkpoint: Path) -> dict[str, Any]:
    return json.loads((checkpoint / "trainer_state.json").read_text())


def publish(work: Path, out: Path) -> None:
    """Rename `work` to `out` in one step (flushed), then drop what only resuming needed."""
    publish_folder(work, out)  # `out` is absent or empty: checked under the lock
    drop_scaffolding(out)


def drop_scaffolding(out: Path) -> None:
    shutil.rmtree(out / CHECKPOINTS, ignore_errors=True)
    (out / INPUTS_FILE).unlink(missing_ok=True)


def plot_loss(curve: list[list[float]], path: Path, *, title: str) -> bool:
    """Write the loss curve as a PNG; return False when matplotlib is not installed."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        return False
    figure = Figure(figsize=(6, 3.5), dpi=100)
    axes = figure.subplots()
    axes.plot([step for step, _ in curve], [loss for _, loss in curve], marker=".")
    axes.set(xlabel="optimizer step", ylabel="training loss", title=title)
    axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path)
    return True
