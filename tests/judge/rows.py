"""What the judging tests and the judge benchmark score: one task and its student episodes."""

from procsft.schema import Episode, Task

TASK = Task(
    task_id="t-h01",
    skill_id="s",
    split="holdout",
    prompt="What is 6 x 7?",
    answer_type="integer",
    reference="42",
)


def episode(i: int, response: str, condition: str = "baseline") -> Episode:
    """Return episode `i` of configuration `m/pre` on TASK, with `response`."""
    return Episode(
        episode_id=f"m/pre|t-h01|{condition}|seed={i}",
        configuration="m/pre",
        student="m",
        size="1B",
        stage="pre",
        task_id="t-h01",
        skill_id="s",
        condition=condition,
        seed=i,
        messages=[],
        response=response,
        finish_reason="stop",
        prompt_tokens=1,
        completion_tokens=1,
        path_fingerprint="f" * 64,
        path={},
    )
