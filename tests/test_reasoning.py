"""Reasoning traces are split from the answer: scorers see only the response, and a trace that
never closes leaves the episode cut off (undecided), not wrong (issue 16)."""

import json

import pytest

from procsft.config import Reasoning
from procsft.judge.extractor import score_extractor
from procsft.reasoning import prompt_opens_trace, split_reasoning
from procsft.schema import Episode, parse_line
from tests.judge.rows import TASK, episode

THINK = Reasoning()


@pytest.mark.parametrize(
    ("text", "opened", "response", "reasoning", "cut_off"),
    [
        ("ANSWER: 42", False, "ANSWER: 42", None, False),
        ("<think>6 x 7 = 42</think>\n\nANSWER: 42", False, "ANSWER: 42", "6 x 7 = 42", False),
        # The template opened the trace in the prompt: the reply starts inside it.
        ("6 x 7 = 42\n</think>\n\nANSWER: 42", True, "ANSWER: 42", "6 x 7 = 42", False),
        # A server rendered such a template: a close marker with no open one means the same.
        ("6 x 7 = 42\n</think>\n\nANSWER: 42", False, "ANSWER: 42", "6 x 7 = 42", False),
        ("6 x 7 is", True, "", "6 x 7 is", True),
        ("<think>6 x 7 is", False, "", "6 x 7 is", True),
        (
            "Sure. <think>a</think> ANSWER: <think>b</think>42",
            False,
            "Sure.  ANSWER: 42",
            "a\n\nb",
            False,
        ),
        ("<think>a</think>ANSWER: 42<think>b", False, "ANSWER: 42", "a\n\nb", True),
    ],
)
def test_split(text, opened, response, reasoning, cut_off):
    split = split_reasoning(text, THINK, opened=opened)
    assert (split.response, split.reasoning, split.cut_off) == (response, reasoning, cut_off)


def test_a_reply_without_markers_comes_back_byte_for_byte():
    text = "  1. six sevens\nANSWER: 42 \n"
    assert split_reasoning(text, THINK).response == text


def test_markers_are_configurable():
    markers = Reasoning(open="[[reason]]", close="[[/reason]]")
    split = split_reasoning("[[reason]]x[[/reason]]ANSWER: 1 <think>", markers)
    assert (split.response, split.reasoning) == ("ANSWER: 1 <think>", "x")
    with pytest.raises(ValueError, match="must differ"):
        Reasoning(open="|", close="|")


def test_a_prompt_opens_a_trace_only_when_it_ends_with_the_open_marker():
    assert prompt_opens_trace("<|im_start|>assistant\n<think>\n", THINK)
    assert not prompt_opens_trace("<|im_start|>assistant\n<think>\n\n</think>\n\n", THINK)
    assert not prompt_opens_trace("<|im_start|>assistant\n", THINK)


def test_an_episode_without_a_trace_keeps_its_row_bytes():
    row = episode(0, "ANSWER: 42")
    data = json.loads(row.model_dump_json())
    assert "reasoning" not in data and "reasoning_cut_off" not in data
    assert list(data) == [name for name in Episode.model_fields if not name.startswith("reason")]


def test_an_episode_with_a_trace_round_trips_through_its_row(tmp_path):
    traced = episode(0, "ANSWER: 42").model_copy(update={"reasoning": "6 x 7"})
    cut = episode(1, "").model_copy(update={"reasoning": "6 x", "reasoning_cut_off": True})
    for row in (traced, cut):
        line = row.model_dump_json().encode()
        assert parse_line(tmp_path / "e.jsonl", 1, line, Episode) == row
    assert "reasoning_cut_off" not in traced.model_dump()


def test_the_extractor_scores_the_response_and_leaves_a_cut_off_episode_undecided():
    # The trace holds the right answer, the response none: only the response counts.
    answered_in_trace = episode(0, "I am not sure.").model_copy(update={"reasoning": "ANSWER: 42"})
    verdict = score_extractor(answered_in_trace, TASK)
    assert (verdict.passed, verdict.reason) == (False, "no ANSWER: line")
    cut = episode(1, "").model_copy(update={"reasoning": "ANSWER: 42", "reasoning_cut_off": True})
    for lenient in (False, True):
        verdict = score_extractor(cut, TASK, lenient=lenient)
        assert verdict.passed is None and verdict.reason.startswith("cut off: ")
