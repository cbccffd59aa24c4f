"""Stage `post`: train an adapter per student × recipe × seed, prove it applies, roll it out."""

import json
import subprocess

from procsft.inference.path import path_differences
from procsft.schema import Episode, read_rows
from tests.conftest import PROCSFT, run_folders, tiny_config, write_yaml


def _config(tmp_path, cache_dir, learning_rate):
    recipe = {"name": "hot", "learning_rate": learning_rate, "epochs": 4, "batch_size": 2}
    return write_yaml(
        tmp_path / "c.yaml",
        tiny_config(
            tmp_path,
            cache_dir,
            stages=["pre", "post"],
            recipes=[recipe],
            subset={"skills": ["gcd-euclid", "median"], "tasks_per_skill": 2, "corpus_rows": 8},
        ),
    )


def test_post_rollout_differs_from_pre_only_in_the_adapter(tmp_path, cache_dir, subprocess_env):
    path = _config(tmp_path, cache_dir, learning_rate=0.05)
    trained = subprocess.run(
        [*PROCSFT, "train", "--config", str(path), "--size", "tiny"],
        capture_output=True,
        text=True,
        env=subprocess_env,
    )
    assert trained.returncode == 0, trained.stderr[-2000:]
    assert "tiny / hot / seed 0" in trained.stdout
    result = subprocess.run(
        [*PROCSFT, "run", "--config", str(path)], capture_output=True, text=True, env=subprocess_env
    )
    assert result.returncode == 0, result.stderr[-2000:]
    (run,) = run_folders(tmp_path / "runs")
    episodes = list(read_rows(run / "episodes.jsonl", Episode))
    post = [e for e in episodes if e.stage == "post"]
    pre = [e for e in episodes if e.stage == "pre"]
    assert len(post) == len(pre) == 8
    assert {(e.recipe, e.train_seed, e.configuration) for e in post} == {
        ("hot", 0, "tiny/post/hot/seed0")
    }
    assert path_differences(pre[0].path, post[0].path) == ["adapter_sha256"]
    assert (run / "train" / "tiny" / "hot" / "seed0" / "train_meta.json").exists()
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["stages"]["train"]["rows"] == 8
    # `procsft train` made the adapter; the run found it finished and did not train again.
    assert manifest["stages"]["train"]["adapters"]["tiny/hot/seed0"]["trained_now"] is False


def test_an_adapter_that_changes_nothing_stops_the_run(tmp_path, cache_dir, subprocess_env):
    path = _config(tmp_path, cache_dir, learning_rate=1e-9)
    result = subprocess.run(
        [*PROCSFT, "run", "--config", str(path)], capture_output=True, text=True, env=subprocess_env
    )
    assert result.returncode == 5
    assert "changes none of 4 probe outputs" in result.stderr
    (run,) = run_folders(tmp_path / "runs")
    assert not (run / "episodes.jsonl").exists()  # nothing published for a broken treatment
