"""The deterministic `ANSWER:`-line scorer: the last `ANSWER:` line of a response wins."""

from __future__ import annotations

import re

from procsft.schema import Episode, Task, Verdict

# Markdown emphasis around the marker ("**ANSWER:** 7") is common and does not change the answer.
ANSWER_LINE = re.compile(
    r"^[\s*_#>`-]*answer[\s*_]*[:：][\s*_]*(?P<answer>.+?)[\s*_`]*$", re.I | re.M
)
NUMBER = re.compile(r"[-+−]?\d+(?:\.\d+)?")


def extract_answer(response: str) -> str | None:
    """Return the text after the last `ANSWER:` line marker, or None when there is none."""
    matches = ANSWER_LINE.findall(response)
    return matches[-1].strip() if matches else None


def _last_number(text: str) -> float | None:
    # Thousands separators ("1,200") would split a number; drop commas between digit groups.
    cleaned = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)
    numbers = NUMBER.findall(cleaned)
    return float(numbers[-1].replace("−", "-")) if numbers else None


def _normalise_string(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", text.casefold())


def answers_match(extracted: str, task: Task) -> bool:
    """Return whether `extracted` equals the task's reference under its answer type."""
    assert task.reference is not None
    if task.answer_type == "string":
        return _normalise_string(extracted) == _normalise_string(task.reference)
    got, want = _last_number(extracted), _last_number(task.reference)
    if got is None or want is None:
        return False
    if task.answer_type == "integer":
        return got == want
    return abs(got - want) <= task.tolerance + 1e-9


def score_extractor(episode: Episode, task: Task, scorer: str = "extractor") -> Verdict:
    """Return the extractor's verdict on `episode`; rubric-only tasks get `passed=None`."""
    extracted = extract_answer(episode.response)
    if task.reference is None:
        passed, reason = None, "no reference answer: judge-only task"
    elif extracted is None:
        passed, reason = False, "no ANSWER: line"
    elif answers_match(extracted, task):
        passed, reason = True, "matches reference"
    else:
        passed, reason = False, f"expected {task.reference}"
    return Verdict(
        verdict_id=f"{episode.episode_id}|{scorer}",
        episode_id=episode.episode_id,
        scorer=scorer,
        configuration=episode.configuration,
        student=episode.student,
        size=episode.size,
        stage=episode.stage,
        task_id=episode.task_id,
        skill_id=episode.skill_id,
        condition=episode.condition,
        seed=episode.seed,
        path_fingerprint=episode.path_fingerprint,
        passed=passed,
        format_ok=extracted is not None,
        extracted=extracted,
        reason=reason,
    )
