"""Resolve a student's `source` to a local model folder and the identity its path records."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from procsft.errors import ConfigError
from procsft.hashing import weights_sha256  # noqa: F401 (re-exported)
from procsft.inference.model_store import identity, materialize


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
        return ResolvedModel(str(folder), SMOLLM2_ID, None, identity(folder)["weights_sha256"])
    if source == "tiny:qwen3.5":
        from procsft.inference.tiny import build_tiny_qwen35

        folder = materialize(cache_dir / "models" / "tiny-qwen3.5-v1", build_tiny_qwen35)
        return ResolvedModel(str(folder), source, None, identity(folder)["weights_sha256"])
    if source == "tiny:qwen3.5-thinking":
        from procsft.inference.tiny import build_tiny_qwen35_thinking

        folder = cache_dir / "models" / "tiny-qwen3.5-thinking-v1"
        materialize(folder, build_tiny_qwen35_thinking)
        return ResolvedModel(str(folder), source, None, identity(folder)["weights_sha256"])
    if source.startswith(("/", "./", "../", "~")):
        folder = Path(source).expanduser().resolve()
        if not folder.is_dir():
            raise ConfigError(f"model folder not found: {source}")
        return ResolvedModel(str(folder), str(folder), None, weights_sha256(folder))
    if ":" in source.split("/")[0]:
        raise ConfigError(f"unknown model source {source!r}")
    return ResolvedModel(source, source, revision, None)
