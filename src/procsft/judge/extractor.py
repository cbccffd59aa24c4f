"""The deterministic `ANSWER:`-line scorer: the last `ANSWER:` line of a response wins."""

from __future__ import annotations

import re

from procsft.answers import answers_match
from procsft.schema import Episode, Task, Verdict

# Markdown emphasis around the marker ("**ANSWER:** 7") is common and does not change the answer.
ANSWER_LINE = re.compile(
    r"^[\s*_#>`-]*answer[\s*_]*[:：][\s*_]*(?P<answer>.+?)[\s*_`]*$", re.I | re.M
)


def extract_answer(response: str) -> str | None:
    """Return the text after the last `ANSWER:` line marker, or None when there is none."""
    matches = ANSWER_LINE.findall(response)
    return matches[-1].strip() if matches else None


def score_extractor(episode: Episode, task: Task, scorer: str = "extractor") -> Verdict:
    """Return the extractor's verdict on `episode`; rubric-only tasks get `passed=None`."""
    extracted = extract_answer(episode.response)
    if task.reference is None:
        passed, reason = None, "no reference answer: judge-only task"
    elif extracted is None:
        passed, reason = False, "no ANSWER: line"
    elif answers_match(extracted, task.reference, task.answer_type, task.tolerance):
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
