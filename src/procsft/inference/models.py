"""Resolve a student's `source` to a local model folder and the identity its path records."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from procsft.atomic import publish_once
from procsft.errors import ConfigError
from procsft.hashing import weights_sha256

IDENTITY_FILE = "procsft-model.json"


@dataclass(frozen=True)
class ResolvedModel:
    """A loadable model folder (or hub id) and what identifies its weights."""

    load_from: str
    model_id: str
    revision: str | None
    weights_sha256: str | None


def default_cache_dir() -> Path:
    """Return `$PROCSFT_CACHE`, else `$XDG_CACHE_HOME/procsft`, else `~/.cache/procsft`."""
    if "PROCSFT_CACHE" in os.environ:
        return Path(os.environ["PROCSFT_CACHE"]).expanduser()
    base = Path(os.environ.get("XDG_CACHE_HOME", "~/.cache")).expanduser()
    return base / "procsft"


def resolve_model(source: str, revision: str | None, cache_dir: Path) -> ResolvedModel:
    """Return where to load `source` from, building embedded and tiny models on first use."""
    if source == "embedded:smollm2-135m":
        from procsft.inference.embedded import SMOLLM2_ID, materialize_smollm2

        folder = materialize_smollm2(cache_dir)
        return ResolvedModel(str(folder), SMOLLM2_ID, None, _identity(folder)["weights_sha256"])
    if source == "tiny:qwen3.5":
        from procsft.inference.tiny import build_tiny_qwen35

        folder = materialize(cache_dir / "models" / "tiny-qwen3.5-v1", build_tiny_qwen35)
        return ResolvedModel(str(folder), source, None, _identity(folder)["weights_sha256"])
    if source.startswith(("/", "./", "../", "~")):
        folder = Path(source).expanduser().resolve()
        if not folder.is_dir():
            raise ConfigError(f"model folder not found: {source}")
        return ResolvedModel(str(folder), str(folder), None, weights_sha256(folder))
    if ":" in source.split("/")[0]:
        raise ConfigError(f"unknown model source {source!r}")
    return ResolvedModel(source, source, revision, None)


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


def _identity(folder: Path) -> dict[str, str]:
    return json.loads((folder / IDENTITY_FILE).read_text())
