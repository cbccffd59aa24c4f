import pytest

from procsft.judge.extractor import extract_answer, score_extractor
from procsft.schema import Episode, Task


def _task(answer_type="integer", reference="42", tolerance=0.0, rubric=None):
    return Task(
        task_id="t",
        skill_id="s",
        split="holdout",
        prompt="p",
        answer_type=answer_type,
        reference=reference,
        tolerance=tolerance,
        rubric=rubric,
    )


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("work\nANSWER: 7", "7"),
        ("ANSWER: 3\nmore work\nanswer:   9  ", "9"),  # the last line wins, case-insensitive
        ("**ANSWER:** 12", "12"),
        ("The answer is 7.", None),
        ("", None),
    ],
)
def test_extract_answer_last_line_wins(response, expected):
    assert extract_answer(response) == expected


def _episode(response: str) -> Episode:
    return Episode(
        episode_id="c|t|baseline|seed=0",
        configuration="c",
        student="s",
        size="x",
        stage="pre",
        task_id="t",
        skill_id="s",
        condition="baseline",
        seed=0,
        messages=[],
        response=response,
        finish_reason="stop",
        prompt_tokens=1,
        completion_tokens=1,
        path_fingerprint="f",
        path={},
    )


def test_verdict_records_format_separately_from_correctness():
    wrong = score_extractor(_episode("ANSWER: 41"), _task())
    assert (wrong.passed, wrong.format_ok, wrong.extracted) == (False, True, "41")
    missing = score_extractor(_episode("It is 42"), _task())
    assert (missing.passed, missing.format_ok) == (False, False)
    right = score_extractor(_episode("ANSWER: 42"), _task())
    assert right.passed and right.verdict_id == "c|t|baseline|seed=0|extractor"


def test_rubric_only_task_is_undecided_not_failed():
    verdict = score_extractor(_episode("ANSWER: 1"), _task(reference=None, rubric="explains"))
    assert verdict.passed is None


@pytest.mark.parametrize(
    ("response", "strict", "lenient"),
    [
        ("So the answer is 42.", False, True),
        ("The result is $42", False, True),
        ("ANSWER: 41\nthe answer is 42", False, False),  # an ANSWER line always wins
        ("I think it is big.", False, False),
    ],
)
def test_lenient_mode_accepts_prose_and_is_its_own_scorer(response, strict, lenient):
    task = Task(
        task_id="t",
        skill_id="s",
        split="holdout",
        prompt="p",
        answer_type="integer",
        reference="42",
    )
    strict_v = score_extractor(_episode(response), task)
    lenient_v = score_extractor(_episode(response), task, "extractor-lenient", lenient=True)
    assert (strict_v.passed, lenient_v.passed) == (strict, lenient)
    assert lenient_v.scorer == "extractor-lenient"
    assert lenient_v.format_ok == strict_v.format_ok  # format means an ANSWER line, either way
