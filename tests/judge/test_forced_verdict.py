"""The forced-choice verdict of a local judge: always decided, recorded with its log-probs."""

import pytest
from pydantic import ValidationError

from procsft.config import StudyConfig
from procsft.judge.stage import judge_all
from tests.conftest import tiny_config
from tests.judge.rows import TASK, episode


def _config(tmp_path, cache_dir, verdict):
    judge = {"name": "judge", "kind": "llm", "backend": "transformers", "model": "tiny:qwen3.5"}
    scorers = [{"name": "extractor", "kind": "extractor"}, judge | {"verdict": verdict}]
    return StudyConfig.model_validate(tiny_config(tmp_path, cache_dir, scorers=scorers))


def test_every_episode_gets_a_verdict_with_its_log_probabilities(tmp_path, cache_dir):
    episodes = [episode(i, f"ANSWER: {40 + i}") for i in range(5)]
    config = _config(tmp_path, cache_dir, "forced")
    verdicts, facts = judge_all(config, [TASK], episodes, tmp_path / "v.jsonl")
    judged = [v for v in verdicts if v.scorer == "judge"]
    assert len(judged) == 5 and all(v.passed is not None for v in judged)
    for v in judged:
        assert v.judge_output.startswith("log p(PASS) = ") and "VERDICT: " in v.judge_output
    assert facts["judges"]["judge"]["judge"]["verdict"] == "forced"
    _, again = judge_all(config, [TASK], episodes, tmp_path / "v2.jsonl")
    assert again["judges"]["judge"]["cached"] == 5  # cached apart from a generating judge


def test_forced_verdicts_need_a_local_judge(tmp_path, cache_dir):
    judge = {"name": "judge", "kind": "llm", "backend": "openai", "model": "g", "verdict": "forced"}
    with pytest.raises(ValidationError, match="needs a local judge"):
        StudyConfig.model_validate(tiny_config(tmp_path, cache_dir, scorers=[judge]))
