"""The forced-choice verdict of a local judge: always decided, recorded with its log-probs."""

import pytest
from pydantic import ValidationError

from procsft.config import StudyConfig
from procsft.judge.stage import judge_all
from procsft.schema import Episode, Task
from tests.conftest import tiny_config

TASK = Task(
    task_id="t-h01",
    skill_id="s",
    split="holdout",
    prompt="What is 6 x 7?",
    answer_type="integer",
    reference="42",
)


def _episode(i: int, response: str) -> Episode:
    return Episode(
        episode_id=f"m/pre|t-h01|baseline|seed={i}",
        configuration="m/pre",
        student="m",
        size="1B",
        stage="pre",
        task_id="t-h01",
        skill_id="s",
        condition="baseline",
        seed=i,
        messages=[],
        response=response,
        finish_reason="stop",
        prompt_tokens=1,
        completion_tokens=1,
        path_fingerprint="f" * 64,
        path={},
    )


def _config(tmp_path, cache_dir, verdict):
    judge = {"name": "judge", "kind": "llm", "backend": "transformers", "model": "tiny:qwen3.5"}
    scorers = [{"name": "extractor", "kind": "extractor"}, judge | {"verdict": verdict}]
    return StudyConfig.model_validate(tiny_config(tmp_path, cache_dir, scorers=scorers))


def test_every_episode_gets_a_verdict_with_its_log_probabilities(tmp_path, cache_dir):
    episodes = [_episode(i, f"ANSWER: {40 + i}") for i in range(5)]
    config = _config(tmp_path, cache_dir, "forced")
    verdicts, facts = judge_all(config, [TASK], episodes, tmp_path / "v.jsonl", tmp_path / "a.json")
    judged = [v for v in verdicts if v.scorer == "judge"]
    assert len(judged) == 5 and all(v.passed is not None for v in judged)
    for v in judged:
        assert v.judge_output.startswith("log p(PASS) = ") and "VERDICT: " in v.judge_output
    assert facts["judges"]["judge"]["judge"]["verdict"] == "forced"
    _, again = judge_all(config, [TASK], episodes, tmp_path / "v2.jsonl", tmp_path / "a2.json")
    assert again["judges"]["judge"]["cached"] == 5  # cached apart from a generating judge


def test_forced_verdicts_need_a_local_judge(tmp_path, cache_dir):
    judge = {"name": "judge", "kind": "llm", "backend": "openai", "model": "g", "verdict": "forced"}
    with pytest.raises(ValidationError, match="needs a local judge"):
        StudyConfig.model_validate(tiny_config(tmp_path, cache_dir, scorers=[judge]))
