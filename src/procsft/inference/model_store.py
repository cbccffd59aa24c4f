"""Models procsft builds itself (the embedded and the tiny model): built once into the cache,
published by one rename, identified by the sha256 of their weights."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

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
    try:
        os.rename(tmp, folder)
    except OSError:  # another process finished first; its copy is identical
        shutil.rmtree(tmp, ignore_errors=True)
    return folder


def identity(folder: Path) -> dict[str, str]:
    """Return what `materialize` recorded of a built model folder (its weights' sha256)."""
    return json.loads((folder / IDENTITY_FILE).read_text())


def weights_sha256(folder: Path) -> str:
    """Return one sha256 over every weight file in `folder`, in name order."""
    digest = hashlib.sha256()
    files = sorted(p for p in folder.iterdir() if p.suffix in (".safetensors", ".bin", ".gguf"))
    for path in files:
        digest.update(path.name.encode())
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()
