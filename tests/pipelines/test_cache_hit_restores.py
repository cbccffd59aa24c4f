"""A KFP cache hit is always safe (issue 14): KFP caches a step by its inputs and the runs
volume's name, never its contents, so a cached train or rollout step is skipped even when its
files are gone. Two local runs with KFP's cache on, the run folder deleted between them: the
second run skips training and the rollouts, restores their files from their KFP outputs, and
ends with the same episodes, verdicts, adapter and summary numbers."""

import json
import shutil

import pytest

from procsft.hashing import sha256_file
from tests.conftest import tiny_config, write_yaml
from tests.pipelines.test_local_run import printed, run_local


def executed(job) -> set[str]:
    """Return the names of the folders of a local pipeline run `job`: the tasks that wrote
    outputs (and their folder outputs). A cache hit is not executed: its outputs stay where the
    first run wrote them."""
    return {p.name for p in job.rglob("*") if p.is_dir()}


def _facts(run) -> dict:
    """Return what must not change when a run is rebuilt from cached steps."""
    summary = json.loads((run / "summary.json").read_text())
    files = [
        "episodes.jsonl",
        "verdicts.jsonl",
        "rollout/tiny__pre.jsonl",
        "rollout/tiny__pre.json",
        "rollout/tiny__post__hot__seed0.jsonl",
        "rollout/tiny__post__hot__seed0.json",
        *(
            p.relative_to(run).as_posix()
            for p in sorted((run / "train").rglob("*"))
            # not a training's lock or temporary folder (hidden): what it produced
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(run).parts)
        ),
    ]
    return {
        "files": {name: sha256_file(run / name) for name in files},
        "numbers": {k: summary[k] for k in ("pass_rates", "procedural_delta", "lift")},
    }


@pytest.mark.slow
def test_a_deleted_run_folder_is_rebuilt_from_cached_steps(tmp_path, cache_dir, subprocess_env):
    recipe = {"name": "hot", "learning_rate": 0.05, "epochs": 4, "batch_size": 2}
    config = tiny_config(
        tmp_path,
        cache_dir,
        stages=["pre", "post"],
        recipes=[recipe],
        subset={"skills": ["gcd-euclid", "median"], "tasks_per_skill": 2, "corpus_rows": 8},
    )
    path = write_yaml(tmp_path / "c.yaml", config)
    first = run_local(path, subprocess_env, "--cache")
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    run = printed(first.stdout, "run folder")
    before = _facts(run)
    assert any(name.endswith("adapter_model.safetensors") for name in before["files"])

    shutil.rmtree(run)  # the volume lost the run; KFP's cache (under the pipeline root) did not
    second = run_local(path, subprocess_env, "--cache")
    logs = second.stdout + second.stderr
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    first_job, second_job = sorted(printed(second.stdout, "KFP outputs").glob("procsft-tiny-*"))
    cached = {"train", "rollout", "rollout-2", "collect-shards"}
    assert cached <= executed(first_job), executed(first_job)
    assert not cached & executed(second_job), executed(second_job)
    assert {"validate", "judge", "analyze", "publish"} <= executed(second_job)
    assert "training tiny" not in logs, "the cached training did not run again"
    assert "restored from" in logs
    after = _facts(run)
    assert after["numbers"] == before["numbers"]
    assert after["files"] == before["files"], {
        name
        for name in before["files"] | after["files"]
        if before["files"].get(name) != after["files"].get(name)
    }
    assert (run / "train/tiny/hot/seed0/train_meta.json").exists()
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["stages"]["train"]["adapters"]["tiny/hot/seed0"]["steps"] > 0
    assert (run / "run_manifest.json").exists()
