"""Each component compiles on its own, with typed artifacts, its image, the run-folder helper
shipped inside it, and no pip install at step start (install_kfp_package=False)."""

from pathlib import Path

import pytest

from procsft_kfp import components
from procsft_kfp.components.images import BASE_IMAGE, ROLLOUT_IMAGE, TRAIN_IMAGE
from tests.pipelines.ir import compile_ir

RUN = {"config_yaml": "STRING", "run_root": "STRING", "run_id": "STRING"}


def _signature(component, tmp_path) -> tuple[dict, dict, dict, dict]:
    """Return (input parameters, input artifacts, output artifacts, container) of a component,
    after checking what every component shares."""
    (spec,) = compile_ir(component, tmp_path)
    root = spec["root"]
    params = {k: v["parameterType"] for k, v in root["inputDefinitions"]["parameters"].items()}
    inputs = {
        k: v["artifactType"]["schemaTitle"]
        for k, v in root["inputDefinitions"].get("artifacts", {}).items()
    }
    outputs = {
        k: v["artifactType"]["schemaTitle"]
        for k, v in root.get("outputDefinitions", {}).get("artifacts", {}).items()
    }
    (executor,) = spec["deploymentSpec"]["executors"].values()
    container = executor["container"]
    command = "\n".join(container["command"])
    assert "pip install" not in command, "the images have kfp: no install at step start"
    assert "def study_run(" in command, "the run-folder helper must ship inside the component"
    assert RUN.items() <= params.items()
    return params, inputs, outputs, container


def test_validate_outputs_the_validation_report_as_markdown(tmp_path):
    params, inputs, outputs, container = _signature(components.validate, tmp_path)
    assert params["plan"] == "LIST"
    assert inputs == {}
    assert outputs == {"validation": "system.Markdown"}
    assert container["image"] == BASE_IMAGE


def test_distill_runs_in_the_training_image_and_outputs_the_corpus(tmp_path):
    params, inputs, outputs, container = _signature(components.distill, tmp_path)
    assert params["teacher"] == "STRING"
    assert outputs == {"corpus": "system.Dataset"}
    assert container["image"] == TRAIN_IMAGE


def test_train_takes_one_student_and_outputs_a_model(tmp_path):
    params, inputs, outputs, container = _signature(components.train, tmp_path)
    assert params["student"] == "STRING"
    assert outputs == {"adapters": "system.Model"}
    assert container["image"] == TRAIN_IMAGE


def test_rollout_takes_an_optional_adapter_and_outputs_a_dataset(tmp_path):
    (spec,) = compile_ir(components.rollout, tmp_path)
    assert spec["root"]["inputDefinitions"]["artifacts"]["adapters"]["isOptional"] is True
    params, inputs, outputs, container = _signature(components.rollout, tmp_path)
    assert {params["model"], params["variant"]} == {"STRING"}
    assert inputs == {"adapters": "system.Model"}
    assert outputs == {"episodes": "system.Dataset"}
    assert container["image"] == ROLLOUT_IMAGE


def test_judge_outputs_episodes_and_verdicts(tmp_path):
    _, inputs, outputs, container = _signature(components.judge, tmp_path)
    # The shards to restore when the volume lacks them (issue 14: a cache hit is always safe).
    assert inputs == dict.fromkeys(("pre_shards", "post_shards"), "system.Dataset")
    assert outputs == dict.fromkeys(("episodes", "verdicts"), "system.Dataset")
    assert container["image"] == BASE_IMAGE


def test_analyze_shows_report_markdown_and_metrics(tmp_path):
    _, inputs, outputs, container = _signature(components.analyze, tmp_path)
    assert inputs == {"verdicts": "system.Dataset", "episodes": "system.Dataset"}
    assert outputs == {
        "agreement": "system.Dataset",
        "summary": "system.Dataset",
        "report": "system.HTML",
        "episodes_page": "system.HTML",
        "report_md": "system.Markdown",
        "metrics": "system.Metrics",
    }
    assert container["image"] == BASE_IMAGE


def test_publish_follows_the_analysis_and_returns_what_it_published(tmp_path):
    params, inputs, outputs, container = _signature(components.publish, tmp_path)
    assert params["tracking_uri"] == "STRING"
    assert inputs == {"summary": "system.Dataset", "adapters": "system.Model"}
    assert container["image"] == BASE_IMAGE


def test_record_failure_takes_the_pipeline_final_status(tmp_path):
    params, _, outputs, container = _signature(components.record_failure, tmp_path)
    assert params["status"] == "TASK_FINAL_STATUS"
    assert outputs == {}
    assert container["image"] == BASE_IMAGE


@pytest.mark.parametrize("run_id", ["", "my-run"])
def test_study_run_points_the_config_at_run_root(tmp_path, run_id):
    from procsft_kfp.components.study_run import study_run

    config, run = study_run(
        'study: s\nstudents: [{name: a, source: "tiny:qwen3.5", size: t, params: 1}]\n'
        "storage: {runs_dir: elsewhere}\n",
        str(tmp_path),
        run_id,
    )
    assert config.storage.runs_dir == tmp_path
    assert run.root == tmp_path / (run_id or config.run_id())
    assert not run.root.exists(), "only the validate step creates the run folder"


@pytest.fixture
def local_steps(tmp_path):
    """KFP local execution for single components, reset afterwards (it is a process global)."""
    from kfp import local
    from kfp.local.config import LocalExecutionConfig

    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=str(tmp_path / "kfp"))
    yield
    LocalExecutionConfig.instance = None


@pytest.mark.filterwarnings("ignore:You may be attemping to run a task")  # our images, locally
def test_validate_refuses_a_config_that_plans_other_configurations(tmp_path, local_steps, capfd):
    config = 'study: s\nstudents: [{name: a, source: "tiny:qwen3.5", size: t, params: 1}]\n'
    with pytest.raises(RuntimeError, match="FAILURE"):
        components.validate(config_yaml=config, run_root=str(tmp_path), run_id="", plan=["b/pre"])
    assert "config_yaml plans ['a/pre']; the pipeline was compiled for ['b/pre']" in (
        capfd.readouterr().out
    )
    assert list(tmp_path.glob("s-*")) == [], "refused before the run folder is made"


@pytest.mark.filterwarnings("ignore:You may be attemping to run a task")
def test_distill_replaces_the_corpus_with_what_the_teacher_passes(tmp_path, local_steps):
    import json

    config = (
        'study: s\nstudents: [{name: a, source: "tiny:qwen3.5", size: t, params: 1}]\n'
        "subset: {skills: [gcd-euclid, median]}\n"
    )
    task = components.distill(
        config_yaml=config, run_root=str(tmp_path), run_id="r", teacher="programmatic"
    )
    corpus = tmp_path / "r" / "suite" / "corpus.jsonl"
    manifest = json.loads((tmp_path / "r" / "suite" / "manifest.json").read_text())
    assert manifest["distillation"]["teacher"] == "programmatic"
    assert set(manifest["distillation"]["per_skill"]) == {"gcd-euclid", "median"}
    assert corpus.read_text() and Path(task.outputs["corpus"].path).read_text() == (
        corpus.read_text()
    )
