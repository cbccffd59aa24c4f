"""`procsft judge` re-scores a finished run's episodes, and judges never end a run half-decided
(issue 16, parts 4 and 5). Driven through the command line as a user would, against a real
loopback HTTP judge whose requests are counted.

The module's run is a tiny study judged by an API judge that answers malformed 200 bodies
some of the time: one grading request gets them past its retries, so the run ends with exit 4
naming how many verdicts are undecided, with the report written; the rerun asks only for that
request. The finished run is then re-judged with a second judge added to its config.
"""

from __future__ import annotations

import hashlib
import io
import json
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest

from procsft import cli
from procsft.errors import ExitCode
from procsft.inference.http_engine import RetryPolicy
from procsft.judge.llm import judge_messages
from procsft.schema import Episode, Task, Verdict, read_rows
from procsft.testing.loopback_llm import LoopbackLLMServer, last_user_text
from tests.conftest import run_folders, tiny_config, write_yaml

KEY_ENV = "REJUDGE_TEST_KEY"
ATTEMPTS = RetryPolicy().max_attempts  # what an API judge tries before it records an error


def grade(user_text: str) -> str:
    """A deterministic judge: a rationale, then a verdict that depends on the request."""
    passed = hashlib.sha256(user_text.encode()).digest()[0] % 2 == 0
    return f"Checked the steps.\nVERDICT: {'PASS' if passed else 'FAIL'}"


def judge(name: str, model: str, server: LoopbackLLMServer) -> dict:
    return {
        "name": name,
        "kind": "llm",
        "backend": "openai",
        "model": model,
        "base_url": f"{server.url}/v1",
        "api_key_env": KEY_ENV,
        "max_new_tokens": 32,
        # One request at a time: a fault queued for a task's prompt meets that task's first
        # grading request on every attempt, so which request runs out of retries is fixed.
        "max_concurrency": 1,
    }


def procsft(*args: str) -> tuple[int, str, str]:
    """Return the exit code, stdout and stderr of `procsft ARGS` (its one `main`)."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("procsft: error:")]


def models_asked(server: LoopbackLLMServer, since: int = 0) -> list[str]:
    return [r.body["model"] for r in server.requests[since:]]


@dataclass
class Study:
    server: LoopbackLLMServer
    config: dict
    run: Path
    tmp: Path
    undecided_line: str
    undecided: int
    report_before_rerun: str
    published_before_rerun: bool
    rerun_requests: int


@pytest.fixture(scope="module")
def study(tmp_path_factory, cache_dir):
    tmp = tmp_path_factory.mktemp("rejudge")
    with pytest.MonkeyPatch.context() as env, LoopbackLLMServer() as server:
        env.setenv(KEY_ENV, "sk-rejudge")
        server.respond_with(grade)
        scorers = [{"name": "extractor", "kind": "extractor"}, judge("judge-a", "a", server)]
        config = tiny_config(tmp, cache_dir, scorers=scorers, analysis={"resamples": 200})
        path = write_yaml(tmp / "study.yaml", config)
        code, _, err = procsft("rollout", "--config", path)
        assert code == 0, err
        (run,) = run_folders(tmp / "runs")
        tasks = {t.task_id: t for t in read_rows(run / "suite" / "holdout.jsonl", Task)}
        rolled_out = dict.fromkeys(e.task_id for e in read_rows(run / "episodes.jsonl", Episode))
        first, second, third = [tasks[task_id].prompt for task_id in list(rolled_out)[:3]]
        # Transient: one body that is not JSON, one of the wrong shape; each retried once.
        server.enqueue("malformed", "text", match=first)
        server.enqueue("malformed", match=second)
        for _ in range(ATTEMPTS):  # more than the retries: this request stays undecided
            server.enqueue("malformed", match=third)

        code, _, err = procsft("run", "--config", path)
        assert code == ExitCode.API_FAILED, err
        verdicts = list(read_rows(run / "verdicts.jsonl", Verdict))
        undecided = sum(v.reason.startswith("judge error: ") for v in verdicts)
        (line,) = error_lines(err)
        report = (run / "report.md").read_text(encoding="utf-8")
        published = (run / "run_manifest.json").exists()

        sent = len(server.requests)
        code, _, err = procsft("run", "--config", path)
        assert code == 0, err
        yield Study(
            server,
            config,
            run,
            tmp,
            line,
            undecided,
            report,
            published,
            len(server.requests) - sent,
        )


def test_a_judge_left_undecided_ends_the_run_with_exit_4_and_one_line(study):
    assert study.undecided >= 1  # every episode whose grading request ran out of retries
    assert study.undecided_line == (
        f"procsft: error: {study.undecided} verdicts undecided: judge requests failed after "
        f"their retries (judge-a {study.undecided}), first: unusable response: no choices; "
        "rerun to ask only for those"
    )
    # The report was written first and counts them; the run was not published on them.
    assert f"judge-a {study.undecided} of " in study.report_before_rerun
    assert f"{study.undecided} of them judge errors" in study.report_before_rerun
    assert not study.published_before_rerun


def test_the_rerun_asks_only_for_the_undecided_and_decides_every_verdict(study):
    assert study.rerun_requests == 1  # the one grading request that ran out of retries
    verdicts = list(read_rows(study.run / "verdicts.jsonl", Verdict))
    assert all(v.passed is not None for v in verdicts if v.scorer == "judge-a")
    # The transient malformed bodies were asked again within the first run: the judge got
    # one request per distinct grading request, plus the retries.
    episodes = list(read_rows(study.run / "episodes.jsonl", Episode))
    distinct = {(e.task_id, e.response) for e in episodes}
    assert len(study.server.requests) == len(distinct) + 2 + ATTEMPTS
    assert (study.run / "run_manifest.json").exists()
    summary = json.loads((study.run / "summary.json").read_text())
    assert summary["run"]["judge"]["judge-a"]["judge_errors"] == 0


def test_a_new_judge_rescores_stored_episodes_paying_only_for_its_own_verdicts(study):
    server = study.server
    config = study.config | {"scorers": [*study.config["scorers"], judge("judge-b", "b", server)]}
    path = write_yaml(study.tmp / "with-judge-b.yaml", config)
    episodes = study.run / "episodes.jsonl"
    sent = len(server.requests)
    # The new judge's server answers malformed bodies some of the time, too: retried, decided.
    server.enqueue("malformed", "text")
    server.enqueue("malformed")

    code, out, err = procsft("judge", "--config", path, "--episodes", episodes)
    assert code == 0, err
    stored = list(read_rows(episodes, Episode))
    distinct = {(e.task_id, e.response) for e in stored}
    # judge-a's verdicts all came from the cache: every request went to the new judge.
    assert models_asked(server, sent) == ["b"] * (len(distinct) + 2)
    assert "judge-a: 0 requests paid for" in out

    folders = [p for p in run_folders(study.tmp / "runs") if p != study.run]
    (rejudged,) = folders  # the new config's own run folder, as `procsft run` would name it
    assert f"verdicts: {rejudged / 'verdicts.jsonl'}" in out
    assert (rejudged / "episodes.jsonl").read_bytes() == episodes.read_bytes()
    before = {(v.episode_id, v.scorer): v for v in read_rows(study.run / "verdicts.jsonl", Verdict)}
    after = {(v.episode_id, v.scorer): v for v in read_rows(rejudged / "verdicts.jsonl", Verdict)}
    assert set(after) == set(before) | {(e.episode_id, "judge-b") for e in stored}
    assert all(after[key] == verdict for key, verdict in before.items())
    assert all(v.passed is not None for v in after.values() if v.scorer == "judge-b")
    tasks = {t.task_id: t for t in read_rows(study.run / "suite" / "holdout.jsonl", Task)}
    for e in stored:  # each verdict is the judge's answer to that episode's grading request
        asked = last_user_text({"messages": judge_messages(tasks[e.task_id], e.response)})
        assert after[(e.episode_id, "judge-b")].passed is ("PASS" in grade(asked))
    agreement = json.loads((rejudged / "agreement.json").read_text())
    assert {(p["a"], p["b"]) for p in agreement["pairs"]} >= {("judge-a", "judge-b")}

    # `procsft analyze` runs on the output, and a second re-judging sends nothing.
    code, out, err = procsft("analyze", "--verdicts", rejudged / "verdicts.jsonl")
    assert code == 0, err
    summary = json.loads((rejudged / "summary.json").read_text())
    assert "judge-b" in summary["counts"]["scorers"]
    assert summary["run"]["rollout"]  # the source run's rollout facts came along
    sent = len(server.requests)
    code, _, err = procsft("judge", "--config", path, "--episodes", episodes)
    assert code == 0, err
    assert len(server.requests) == sent


def test_bad_input_is_one_line_and_writes_nothing(study, tmp_path):
    path = write_yaml(tmp_path / "c.yaml", study.config | {"storage": {"runs_dir": str(tmp_path)}})
    alone = tmp_path / "elsewhere" / "episodes.jsonl"
    alone.parent.mkdir()
    alone.write_bytes((study.run / "episodes.jsonl").read_bytes())
    code, _, err = procsft("judge", "--config", path, "--episodes", alone)
    assert code == ExitCode.FAILED and err.count("\n") == 1
    assert f"{alone.parent / 'suite' / 'holdout.jsonl'}: no holdout beside the episodes" in err

    holdout = tmp_path / "holdout.jsonl"
    first = next(read_rows(alone, Episode)).task_id
    rows = (study.run / "suite" / "holdout.jsonl").read_text().splitlines()
    holdout.write_text("".join(r + "\n" for r in rows if json.loads(r)["task_id"] != first))
    code, _, err = procsft("judge", "--config", path, "--episodes", alone, "--holdout", holdout)
    assert code == ExitCode.FAILED and err.count("\n") == 1
    assert f"{alone}: row 1: task_id " in err and "is not in" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.yaml", "elsewhere", "holdout.jsonl"]
