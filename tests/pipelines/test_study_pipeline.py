"""The study pipeline's shape: the fan-out the config asks for, GPU steps on the GPU pool,
secrets where API keys are used, retries on API-bound steps, caching on deterministic ones."""

from pathlib import Path

import pytest

from procsft import plan
from procsft.config import StudyConfig, load_config
from procsft_kfp.pipelines.study import build_pipeline
from tests.conftest import tiny_config
from tests.pipelines.ir import compile_ir

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def paper():
    return load_config(REPO / "configs/qwen35-paper.yaml")


@pytest.fixture(scope="module")
def ir(paper, tmp_path_factory) -> tuple[dict, dict]:
    spec, platform = compile_ir(build_pipeline(paper), tmp_path_factory.mktemp("ir"))
    return spec, platform["platforms"]["kubernetes"]["deploymentSpec"]["executors"]


def _tasks(spec: dict) -> dict[str, dict]:
    """Return every task of the pipeline, loops and exit handler opened, by its shown name
    (each with its `id`, the name other tasks depend on)."""
    found = {}
    dags = [spec["root"]["dag"], *(c["dag"] for c in spec["components"].values() if "dag" in c)]
    for dag in dags:
        for key, task in dag["tasks"].items():
            found[task["taskInfo"]["name"]] = task | {"id": key}
    return found


@pytest.mark.parametrize("name", ["qwen35-paper", "scale-8b-14b", "local"])
def test_plan_is_the_configurations_the_stages_roll_out(name):
    from procsft import stages
    from procsft.run_folder import RunFolder

    config = load_config(REPO / "configs" / f"{name}.yaml")
    expected = [c.name for c, _, _ in stages.configurations(config, RunFolder(Path("r")))]
    assert [c.name for c in plan.configurations(config)] == expected


def test_loops_fan_out_students_adapters_and_references(ir):
    spec, _ = ir
    loops = {
        name: task["parameterIterator"]["items"]["raw"]
        for name, task in _tasks(spec).items()
        if "parameterIterator" in task
    }
    assert loops == {
        "students": '["qwen35-0.8b", "qwen35-2b", "qwen35-4b"]',
        "adapters": '["post/lora-r16/seed0", "post/lora-r16/seed1", "post/lora-r16/seed2"]',
        "references": '["haiku-4.5"]',
    }


def test_validation_gates_and_judging_waits_for_every_rollout(ir):
    spec, _ = ir
    tasks = _tasks(spec)
    assert tasks["students"]["dependentTasks"] == ["validate"]
    assert tasks["references"]["dependentTasks"] == ["validate"]
    loops = {tasks["students"]["id"], tasks["references"]["id"]}
    assert set(tasks["judge"]["dependentTasks"]) == loops
    assert tasks["analyze"]["inputs"]["artifacts"]["verdicts"]["taskOutputArtifact"] == {
        "outputArtifactKey": "verdicts",
        "producerTask": "judge",
    }
    assert spec["root"]["dag"]["tasks"]["record-failure"]["triggerPolicy"]["strategy"] == (
        "ALL_UPSTREAM_TASKS_COMPLETED"
    )


def test_gpu_steps_request_a_gpu_on_the_gpu_pool(ir):
    spec, kubernetes = ir
    executors = spec["deploymentSpec"]["executors"]
    gpu = {name for name, e in executors.items() if "accelerator" in e["container"]["resources"]}
    assert gpu == {"exec-train", "exec-rollout", "exec-rollout-2"}  # pre and post rollouts
    for name in gpu:
        accelerator = executors[name]["container"]["resources"]["accelerator"]
        assert (accelerator["resourceType"], accelerator["resourceCount"]) == (
            "nvidia.com/gpu",
            "1",
        )
        placement = kubernetes[name]
        assert placement["nodeSelector"]["nodeSelectorJson"] == {
            "componentInputParameter": "pipelinechannel--gpu_node_selector"
        }
        assert placement["tolerations"][0] == {
            "key": "nvidia.com/gpu",
            "operator": "Exists",
            "effect": "NoSchedule",
        }
    for name, executor in executors.items():
        assert executor["container"]["resources"]["memoryRequest"] > 0, name
        assert kubernetes[name]["pvcMount"][0]["mountPath"] == "/mnt/runs"


def test_api_bound_steps_get_keys_and_retries_and_no_cache(ir):
    spec, kubernetes = ir
    tasks = _tasks(spec)
    for task, executor in (("rollout-reference", "exec-rollout-3"), ("judge", "exec-judge")):
        found = tasks[task]
        assert found["retryPolicy"]["maxRetryCount"] == 3
        assert found["cachingOptions"] == {}, "an API step asks the provider again"
        (secret,) = kubernetes[executor]["secretAsEnv"]
        assert {m["envVar"] for m in secret["keyToEnv"]} == {"ANTHROPIC_API_KEY", "OPENAI_API_KEY"}
    for deterministic in ("train", "rollout-pre", "rollout-post", "analyze"):
        found = tasks[deterministic]
        assert found["cachingOptions"] == {"enableCache": True}, deterministic


def test_a_pre_only_config_has_no_training_or_references(tmp_path):
    config = StudyConfig.model_validate(tiny_config(tmp_path, tmp_path / "cache"))
    spec, _ = compile_ir(build_pipeline(config), tmp_path)
    assert set(_tasks(spec)) == {
        "study",
        "record-failure",
        "validate",
        "students",
        "rollout-pre",
        "judge",
        "analyze",
        "publish",
    }


def test_distillation_comes_before_validation(paper, tmp_path):
    spec, _ = compile_ir(build_pipeline(paper, distill_teacher="programmatic"), tmp_path)
    tasks = _tasks(spec)
    assert tasks["validate"]["dependentTasks"] == ["distill"]
    assert tasks["distill"]["inputs"]["parameters"]["teacher"] == {
        "runtimeValue": {"constant": "programmatic"}
    }


@pytest.mark.parametrize(
    ("teacher", "image", "cached", "gpu"),
    [
        ("anthropic:claude-opus-4", "procsft-base", False, False),
        ("programmatic", "procsft-base", False, False),  # its judge is an API model
        ("./models/teacher", "procsft-train", False, True),
    ],
)
def test_a_distill_section_adds_its_step_where_its_teacher_runs(
    paper, tmp_path, teacher, image, cached, gpu
):
    judge = {"name": "opus-judge", "kind": "llm", "backend": "anthropic", "model": "claude"}
    data = paper.model_dump(mode="json") | {
        "distill": {"teacher": teacher, "judge": judge, "judge_tasks": "all"}
    }
    spec, platform = compile_ir(build_pipeline(StudyConfig.model_validate(data)), tmp_path)
    tasks = _tasks(spec)
    assert tasks["validate"]["dependentTasks"] == ["distill"]
    executor = spec["deploymentSpec"]["executors"]["exec-distill"]
    assert image in executor["container"]["image"]
    assert ("accelerator" in executor["container"]["resources"]) == gpu
    assert tasks["distill"]["cachingOptions"] == ({"enableCache": True} if cached else {})
    assert tasks["distill"]["retryPolicy"]["maxRetryCount"] == 3
    kubernetes = platform["platforms"]["kubernetes"]["deploymentSpec"]["executors"]
    (secret,) = kubernetes["exec-distill"]["secretAsEnv"]
    assert "ANTHROPIC_API_KEY" in {m["envVar"] for m in secret["keyToEnv"]}
