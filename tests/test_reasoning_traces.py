"""A study whose students think (issue 16): the thinking switch reaches the template and the
path, traces are kept apart from responses, judges see only responses, and an episode whose
trace never closes is counted and reported as cut off, not scored as wrong."""

import io
import json

import pytest
from rich.console import Console

from procsft.config import StudyConfig
from procsft.schema import Episode, Verdict, read_rows
from procsft.study import run_study
from procsft.testing.loopback_llm import LoopbackLLMServer
from tests.conftest import tiny_config

TRACE = "working it out: ANSWER: 999"


def thinking_reference(prompt: str) -> str:
    """A reference that thinks: its server's template opened the trace, so replies begin inside
    it; on median tasks it opens a trace of its own that never closes."""
    if "median" in prompt:
        return "<think>still thinking about the middle value"
    return f"{TRACE}\n</think>\n\nThe result is below the line."


@pytest.fixture(scope="module")
def study(tmp_path_factory, cache_dir):
    """Run a study of the thinking tiny model with thinking on and off, and a reference."""
    tmp_path = tmp_path_factory.mktemp("study")
    with (
        pytest.MonkeyPatch.context() as env,
        LoopbackLLMServer() as reference,
        LoopbackLLMServer() as judge,
    ):
        env.setenv("LOOPBACK_KEY", "sk-loopback")
        reference.respond_with(thinking_reference)
        judge.respond_with(lambda text: "Fine.\nVERDICT: PASS")
        api = {"api_key_env": "LOOPBACK_KEY", "max_concurrency": 4}
        model = {"source": "tiny:qwen3.5-thinking", "size": "tiny", "params": 1}
        data = tiny_config(
            tmp_path,
            cache_dir,
            students=[
                {"name": "thinks", **model},
                {"name": "answers", **model, "chat_template_kwargs": {"enable_thinking": False}},
            ],
            stages=["pre", "reference"],
            references=[
                {
                    "name": "ref",
                    "backend": "openai",
                    "model": "m",
                    "base_url": f"{reference.url}/v1",
                    "chat_template_kwargs": {"enable_thinking": True},
                    **api,
                }
            ],
            # One torch thread: two would fight the other processes on a small machine.
            compute={"device": "cpu", "batch_size": 4, "threads": 1},
            scorers=[
                {"name": "extractor", "kind": "extractor"},
                {"name": "judge", "kind": "llm", "backend": "openai", "model": "g"}
                | {"base_url": f"{judge.url}/v1", **api},
            ],
        )
        run = run_study(
            StudyConfig.model_validate(data), tmp_path / "c.yaml", Console(file=io.StringIO())
        )
        yield run, reference, judge


def test_thinking_switch_reaches_template_and_path(study):
    run, reference, _ = study
    episodes = list(read_rows(run.episodes, Episode))
    by_student = {s: [e for e in episodes if e.student == s] for s in ("thinks", "answers", "ref")}
    assert all(len(rows) == 12 for rows in by_student.values())
    thinks, answers = by_student["thinks"][0], by_student["answers"][0]
    assert "chat_template_kwargs" not in thinks.path
    assert answers.path["chat_template_kwargs"] == {"enable_thinking": False}
    assert thinks.path_fingerprint != answers.path_fingerprint
    # The longer prompt (an empty, closed trace) is what the model was given.
    assert answers.prompt_tokens > thinks.prompt_tokens
    assert {json.dumps(r.body["chat_template_kwargs"]) for r in reference.requests} == {
        '{"enable_thinking": true}'
    }
    comparisons = json.loads(run.summary.read_text())["path_comparisons"]
    assert any("chat_template_kwargs" in json.dumps(c) for c in comparisons)


def test_traces_are_kept_apart_and_judges_see_only_responses(study):
    run, _, judge = study
    episodes = list(read_rows(run.episodes, Episode))
    lines = {
        e.episode_id: line
        for e, line in zip(episodes, run.episodes.read_text().splitlines(), strict=True)
    }
    answered = [e for e in episodes if e.student == "answers"]
    # No trace: no trace fields in the row, as before traces existed.
    assert all(e.reasoning is None and '"reasoning' not in lines[e.episode_id] for e in answered)
    closed = [e for e in episodes if e.student == "ref" and "median" not in e.task_id]
    assert closed and all(e.reasoning == TRACE for e in closed)
    assert {e.response for e in closed} == {"The result is below the line."}
    verdicts = list(read_rows(run.verdicts, Verdict))
    extracted = [
        v for v in verdicts if v.scorer == "extractor" and v.configuration == "ref/reference"
    ]
    # The trace's ANSWER line is not the response's: the extractor finds none.
    assert {v.reason for v in extracted if "median" not in v.task_id} == {"no ANSWER: line"}
    graded = " ".join(json.dumps(r.body) for r in judge.requests)
    assert "working it out" not in graded and "<think>" not in graded
    scorable = {(e.task_id, e.response) for e in episodes if not e.reasoning_cut_off}
    assert len(judge.requests) == len(scorable)  # cut-off episodes were never sent


def test_a_trace_that_never_closes_is_cut_off_undecided_and_reported(study):
    run, _, _ = study
    episodes = list(read_rows(run.episodes, Episode))
    cut = {e.episode_id for e in episodes if e.reasoning_cut_off}
    # The tiny model's template opened the trace and 16 random tokens never close it; the
    # reference's median replies end inside theirs.
    thinking = {e.episode_id for e in episodes if e.student == "thinks"}
    medians = {e.episode_id for e in episodes if e.student == "ref" and "median" in e.task_id}
    assert cut == thinking | medians and len(medians) == 6
    assert all(e.response == "" for e in episodes if e.episode_id in medians)
    verdicts = [v for v in read_rows(run.verdicts, Verdict) if v.episode_id in cut]
    assert len(verdicts) == 2 * len(cut)
    assert all(v.passed is None and v.reason.startswith("cut off: ") for v in verdicts)
    summary = json.loads(run.summary.read_text())
    assert summary["counts"]["cut_off"] == len(cut)
    rates = {(r["configuration"], r["scorer"], r["condition"]): r for r in summary["pass_rates"]}
    thinks = rates["thinks/pre", "judge", "curated"]
    assert (thinks["n"], thinks["undecided"], thinks["cut_off"]) == (0, 6, 6)
    assert rates["answers/pre", "judge", "curated"]["cut_off"] == 0
    report = run.root.joinpath("report.md").read_text()
    assert f"{len(cut)} episode(s) were cut off inside a reasoning trace" in report
    assert "6 (6 cut off)" in report
