"""Models procsft builds itself (the embedded and the tiny model): built once into the cache,
published by one rename, identified by the sha256 of their weights."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from procsft.atomic import publish_once
from procsft.hashing import weights_sha256

IDENTITY_FILE = "procsft-model.json"


def materialize(folder: Path, build: Callable[[Path], None]) -> Path:
    """Build `folder` once: into a temp sibling, then one rename, so a kill leaves no half model."""
    if (folder / IDENTITY_FILE).exists():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.with_name(f".{folder.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    build(tmp)
    (tmp / IDENTITY_FILE).write_text(json.dumps({"weights_sha256": weights_sha256(tmp)}))
    publish_once(tmp, folder)  # False: another process finished first; its copy is identical
    return folder


def identity(folder: Path) -> dict[str, str]:
    """Return what `materialize` recorded of a built model folder (its weights' sha256)."""
    return json.loads((folder / IDENTITY_FILE).read_text())
