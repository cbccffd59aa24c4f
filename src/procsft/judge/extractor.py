"""The deterministic `ANSWER:`-line scorer: the last `ANSWER:` line of a response wins.

A documented lenient mode also accepts prose ("The answer is 7") and is reported as its own
scorer, so how much the strict format requirement costs each condition can be measured.
"""

from __future__ import annotations

import re

from procsft.answers import answers_match
from procsft.reasoning import cut_off_verdict
from procsft.schema import Episode, Task, Verdict

# Markdown emphasis around the marker ("**ANSWER:** 7") is common and does not change the answer.
ANSWER_LINE = re.compile(
    r"^[\s*_#>`-]*answer[\s*_]*[:：][\s*_]*(?P<answer>.+?)[\s*_`]*$", re.I | re.M
)


# Lenient mode: the prose forms small models use instead of the marker ("The answer is: 7").
PROSE_ANSWER = re.compile(
    r"(?:final answer|the answer|answer|the result|result)\s*(?:is|was|would be|=)?\s*[:=]?\s*"
    r"(?P<answer>-?[$€£]?\s*[0-9A-Za-z][^\n]*?)\s*[.!]?\s*$",
    re.I | re.M,
)


NO_REFERENCE = "no reference answer: judge-only task"
"""The reason of an extractor's verdict on a task it cannot decide by design (rubric only)."""


def extract_answer(response: str, lenient: bool = False) -> str | None:
    """Return the text after the last `ANSWER:` line marker; in lenient mode, else the last
    prose statement of an answer; None when there is neither."""
    matches = ANSWER_LINE.findall(response)
    if matches:
        return matches[-1].strip()
    if lenient:
        prose = [m.group("answer").strip() for m in PROSE_ANSWER.finditer(response)]
        return prose[-1] if prose else None
    return None


def ends_with_answer_line(response: str) -> bool:
    """Return whether the last line of `response` is an `ANSWER:` line (the corpus format)."""
    last = response.strip().splitlines()[-1] if response.strip() else ""
    return extract_answer(last) is not None


def score_extractor(
    episode: Episode, task: Task, scorer: str = "extractor", lenient: bool = False
) -> Verdict:
    """Return the extractor's verdict on `episode`; rubric-only tasks get `passed=None`.

    `format_ok` says whether the response has an `ANSWER:` line, in either mode; the lenient
    mode may still pass a response without one, so its effect is measurable per condition.
    An episode whose reasoning trace never closed is undecided: it was cut off, not wrong.
    """
    if episode.reasoning_cut_off:
        return cut_off_verdict(episode, scorer)
    extracted = extract_answer(episode.response, lenient=lenient)
    if task.reference is None:
        passed, reason = None, NO_REFERENCE
    elif extracted is None:
        passed, reason = False, "no answer statement" if lenient else "no ANSWER: line"
    elif answers_match(extracted, task.reference, task.answer_type, task.tolerance):
        passed, reason = True, "matches reference"
    else:
        passed, reason = False, f"expected {task.reference}"
    return Verdict.of(
        episode,
        scorer,
        passed=passed,
        format_ok=extract_answer(episode.response) is not None,
        extracted=extracted,
        reason=reason,
    )
