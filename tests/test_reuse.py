"""A rerun for new sizes is a new config, so a new run folder: the old sizes' adapters and
rollouts are copied from the earlier run folder, not trained or generated again; anything
whose inputs differ is made afresh."""

import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from procsft.config import StudyConfig
from procsft.run_folder import RunFolder
from procsft.study import run_study
from tests.conftest import tiny_config

# Hot enough that the adapter passes its probe (as in tests/test_post_stage.py).
RECIPE = {"name": "hot", "learning_rate": 0.05, "epochs": 4, "batch_size": 2}
TINY = {"name": "tiny", "source": "tiny:qwen3.5", "size": "tiny", "params": 1}
NEW = {"name": "tiny-b", "source": "tiny:qwen3.5", "size": "tiny-b", "params": 2, "new": True}


def study(tmp_path: Path, cache_dir: Path, students: list, **overrides) -> Path:
    config = tiny_config(tmp_path, cache_dir, stages=["pre", "post"], recipes=[RECIPE])
    config["subset"]["corpus_rows"] = 8  # as tests/pipelines/test_local_run.py: quick to train
    config |= {"students": students, **overrides}
    console = Console(file=io.StringIO())
    return run_study(StudyConfig.model_validate(config), Path("c.yaml"), console).root


def shard(run: Path, configuration: str) -> Path:
    return RunFolder(run).shard(configuration)


def facts(run: Path, configuration: str) -> dict:
    return json.loads(shard(run, configuration).with_suffix(".json").read_text())


@pytest.mark.slow
def test_a_new_size_reuses_the_earlier_sizes_and_makes_only_its_own(tmp_path, cache_dir):
    first = study(tmp_path, cache_dir, [TINY])
    scaled = study(tmp_path, cache_dir, [TINY, NEW])
    assert scaled != first
    for name in ("tiny/pre", "tiny/post/hot/seed0"):
        assert shard(scaled, name).read_bytes() == shard(first, name).read_bytes()
        assert facts(scaled, name)["reused_from"] == first.name
    for name in ("tiny-b/pre", "tiny-b/post/hot/seed0"):
        assert "reused_from" not in facts(scaled, name) and facts(scaled, name)["generated"] > 0
    train = json.loads((scaled / "manifest.json").read_text())["stages"]["train"]["adapters"]
    assert train["tiny/hot/seed0"] == train["tiny/hot/seed0"] | {
        "reused_from": first.name,
        "trained_now": False,
    }
    assert train["tiny-b/hot/seed0"]["trained_now"] is True
    weights = "train/tiny/hot/seed0/adapter_model.safetensors"
    assert (scaled / weights).read_bytes() == (first / weights).read_bytes()

    # Other decoding: other rows, so the rollouts are made again (the adapter still matches).
    other = study(tmp_path, cache_dir, [TINY], decoding={"max_new_tokens": 12})
    assert "reused_from" not in facts(other, "tiny/pre")
    assert facts(other, "tiny/pre")["generated"] > 0
    train = json.loads((other / "manifest.json").read_text())["stages"]["train"]["adapters"]
    assert train["tiny/hot/seed0"]["reused_from"] in (first.name, scaled.name)
