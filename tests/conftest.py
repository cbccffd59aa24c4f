"""Shared fixtures: real components built once per test run (the tiny model, configs)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
PROCSFT = [sys.executable, "-m", "procsft.cli"]


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory) -> Path:
    """A model cache private to this test run (the tiny model is built into it once)."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="session")
def tiny_model(cache_dir):
    from procsft.inference.models import resolve_model

    return resolve_model("tiny:qwen3.5", None, cache_dir)


@pytest.fixture(scope="session")
def tiny_generator(tiny_model):
    from procsft.inference.transformers_backend import TransformersGenerator

    return TransformersGenerator(tiny_model, dtype="float32", device="cpu")


def tiny_config(tmp_path: Path, cache_dir: Path, **overrides) -> dict:
    """Return a study config (as a dict) that runs on the tiny model in seconds."""
    config = {
        "study": "tiny",
        "students": [{"name": "tiny", "source": "tiny:qwen3.5", "size": "tiny", "params": 1}],
        "decoding": {"max_new_tokens": 16},
        "subset": {"skills": ["gcd-euclid", "median"], "tasks_per_skill": 3},
        "compute": {"device": "cpu", "batch_size": 4},
        "storage": {"runs_dir": str(tmp_path / "runs"), "cache_dir": str(cache_dir)},
    }
    for key, value in overrides.items():
        config[key] = value
    return config


def write_yaml(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture
def subprocess_env(cache_dir) -> dict[str, str]:
    """Environment for running `procsft` in a child process with this run's cache."""
    return {**os.environ, "PROCSFT_CACHE": str(cache_dir), "PYTHONUNBUFFERED": "1"}


def run_folders(runs_dir: Path) -> list[Path]:
    """Return the run folders under `runs_dir` (not the local MLflow store `_mlflow`)."""
    return sorted(p for p in runs_dir.iterdir() if not p.name.startswith("_"))
