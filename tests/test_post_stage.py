"""Stage `post`: train an adapter per student × recipe × seed, prove it applies, roll it out."""

import json
import subprocess

import yaml

from procsft.inference.path import path_differences
from procsft.run_folder import RunFolder
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


def test_a_merged_adapter_rollout_writes_the_unmerged_text_and_says_it_merged(
    tmp_path, cache_dir, subprocess_env
):
    unmerged_path = _config(tmp_path, cache_dir, learning_rate=0.05)
    merged_config = yaml.safe_load(unmerged_path.read_text())
    merged_config["compute"]["merge_adapter"] = True
    merged_path = write_yaml(tmp_path / "merged.yaml", merged_config)
    for path in (unmerged_path, merged_path):  # the second run copies the first one's adapter
        done = subprocess.run(
            [*PROCSFT, "rollout", "--config", str(path)],
            capture_output=True,
            text=True,
            env=subprocess_env,
        )
        assert done.returncode == 0, done.stderr[-2000:]
    by_run = {}
    for run in run_folders(tmp_path / "runs"):
        episodes = {e.episode_id: e for e in read_rows(run / "episodes.jsonl", Episode)}
        facts = RunFolder(run).read_shard_facts("tiny/post/hot/seed0")
        by_run[facts.adapter_merged] = (episodes, facts)
    (unmerged, unmerged_facts), (merged, merged_facts) = by_run[False], by_run[True]
    assert unmerged_facts.reuse_key != merged_facts.reuse_key
    post = [i for i, e in merged.items() if e.stage == "post"]
    assert post and [merged[i].response for i in post] == [unmerged[i].response for i in post]
    assert merged[post[0]].path == unmerged[post[0]].path | {"adapter_merged": True}
    pre = next(e for e in merged.values() if e.stage == "pre")
    assert path_differences(pre.path, merged[post[0]].path) == ["adapter_merged", "adapter_sha256"]
