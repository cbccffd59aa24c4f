"""The study pipeline in containers equals the study in this environment (`make test-images`).

One small config on the tiny model runs every step twice: once with KFP's local subprocess
runner in this Python environment (what `make run` does), once with KFP's DockerRunner in
containers of the CPU image (the steps as its uid 10001, the runs folder at the runs mount, a
read-only root file system, the host network). The two run folders must hold byte-identical
episodes, verdicts, rollout shards and adapter weights, the same adapter config, and the same
summary numbers.

Needs a Docker engine (DOCKER_HOST or the default socket) holding the image named by
PROCSFT_TEST_IMAGE; `make test-images` starts one, builds the image and runs this."""

import json
import os
import time
from pathlib import Path

import pytest

from procsft.hashing import sha256_file
from procsft_kfp.components.volume import RUNS_MOUNT
from tests.conftest import write_yaml
from tests.pipelines.test_local_run import printed, run_local

STEP_USER = 10001
HOT = {"name": "hot", "learning_rate": 0.05, "epochs": 4, "batch_size": 2}


def study_config(runs_dir: Path) -> dict:
    """Every step on the tiny model: suite, validate, train, pre and post rollouts, the
    extractor and an LLM judge (the tiny model, forced choice), analyze, publish. No cache
    folder is named: each side builds the tiny model in its own (PROCSFT_CACHE here, the
    image's under the runs mount there)."""
    return {
        "study": "tiny",
        "students": [{"name": "tiny", "source": "tiny:qwen3.5", "size": "tiny", "params": 1}],
        "stages": ["pre", "post"],
        "recipes": [HOT],
        "decoding": {"max_new_tokens": 16},
        "scorers": [
            {"name": "extractor", "kind": "extractor"},
            {
                "name": "judge-tiny",
                "kind": "llm",
                "backend": "transformers",
                "model": "tiny:qwen3.5",
                "verdict": "forced",
            },
        ],
        "subset": {"skills": ["gcd-euclid", "median"], "tasks_per_skill": 2, "corpus_rows": 8},
        "compute": {"device": "cpu", "batch_size": 4},
        "storage": {"runs_dir": str(runs_dir)},
    }


def run_pipeline(config: dict, folder: Path, env: dict, *args: str) -> Path:
    """Run the study pipeline locally; return its run folder."""
    folder.mkdir(parents=True)
    result = run_local(write_yaml(folder / "study.yaml", config), env, *args)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return printed(result.stdout, "run folder")


def adapter_config(path: Path) -> dict:
    """Return PEFT's adapter config as far as it can agree between the two sides: its
    target_modules come from a set (ordered by Python's string hashing) and its base model is
    where each side cached the tiny model (its folder name must agree)."""
    config = json.loads(path.read_text())
    config["target_modules"] = sorted(config["target_modules"])
    config["base_model_name_or_path"] = Path(config["base_model_name_or_path"]).name
    return config


def results(run: Path) -> dict:
    """Return what a run produced that must not depend on where its steps ran."""
    summary = json.loads((run / "summary.json").read_text())
    names = ["episodes.jsonl", "verdicts.jsonl"]
    names += sorted(p.relative_to(run).as_posix() for p in (run / "rollout").glob("*.jsonl"))
    names += sorted(p.relative_to(run).as_posix() for p in run.glob("train/**/adapter_model.*"))
    configs = {p.relative_to(run).as_posix(): p for p in run.glob("train/**/adapter_config.json")}
    return {
        "files": {name: sha256_file(run / name) for name in names},
        "adapter_configs": {name: adapter_config(path) for name, path in configs.items()},
        "numbers": {k: summary[k] for k in ("pass_rates", "procedural_delta", "lift", "counts")},
    }


@pytest.fixture(scope="module")
def engine():
    import docker

    image = os.environ.get("PROCSFT_TEST_IMAGE")
    if not image:
        pytest.fail("PROCSFT_TEST_IMAGE must name the CPU image to test (make test-images)")
    client = docker.from_env()
    client.ping()
    client.images.get(image)  # fails here, not in a step, when the image is missing
    yield client, image
    client.close()


def test_containerized_run_equals_in_process_run(tmp_path, engine):
    client, image = engine
    cache = tmp_path / "cache"
    env = {**os.environ, "PROCSFT_CACHE": str(cache), "PYTHONUNBUFFERED": "1"}

    started = time.monotonic()
    in_process = run_pipeline(study_config(tmp_path / "a/runs"), tmp_path / "a", env)
    in_process_s = time.monotonic() - started
    since = int(time.time())
    contained = run_pipeline(
        study_config(tmp_path / "b/runs"), tmp_path / "b", env, "--image", image
    )
    until = int(time.time()) + 1
    contained_s = time.monotonic() - started - in_process_s

    starts = list(
        client.events(
            since=since, until=until, decode=True, filters={"type": "container", "event": "start"}
        )
    )
    (job,) = (tmp_path / "a/runs/_kfp").glob("procsft-tiny-*")
    steps = {p.parent.name for p in job.rglob("executor_output.json")}
    assert len(starts) >= len(steps) >= 9, (len(starts), sorted(steps))
    assert {event["from"] for event in starts} == {image}
    assert in_process.name == contained.name  # the same study: the same run folder name
    assert (contained.parent / "_cache/procsft").is_dir(), "the image's cache is on the runs mount"
    if os.geteuid() == 0:  # the steps wrote as the image's user, not as root
        owners = {p.stat().st_uid for p in contained.rglob("*")}
        assert owners == {STEP_USER}, owners

    expected, got = results(in_process), results(contained)
    assert any(name.endswith("adapter_model.safetensors") for name in expected["files"])
    differing = sorted(
        name
        for name in expected["files"].keys() | got["files"].keys()
        if expected["files"].get(name) != got["files"].get(name)
    )
    assert not differing, differing
    assert got["adapter_configs"] == expected["adapter_configs"] != {}
    assert got["numbers"] == expected["numbers"]
    print(
        f"\ncontainerized run equals in-process run: {len(starts)} steps in containers of "
        f"{image} (uid {STEP_USER}, runs folder at {RUNS_MOUNT}, read-only root); "
        f"{len(expected['files'])} files byte-identical (episodes, verdicts, rollout shards, "
        f"adapter weights); summary numbers equal; wall time {contained_s:.0f} s in containers, "
        f"{in_process_s:.0f} s in process ({contained_s / in_process_s:.2f}x)"
    )
