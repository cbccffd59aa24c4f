import subprocess

import pytest

from procsft.config import Decoding, StudyConfig
from procsft.distill import distill
from procsft.errors import ExitCode
from procsft.inference.protocol import Generation
from procsft.judge.llm import BudgetExceeded
from procsft.rollout import GenerationFailed
from procsft.schema import CorpusRow, Task, read_rows
from procsft.stages.distill import distill_suite
from procsft.suite.build import build_suite
from procsft.suite.files import programmatic_teacher, write_suite
from procsft.testing.loopback_llm import LoopbackLLMServer
from tests.conftest import PROCSFT, tiny_config


class WrongTeacher:
    """A teacher that gets every other task wrong and forgets the ANSWER line on the rest."""

    path = {"engine": "test"}

    def generate(self, requests):
        return [
            Generation("1. ...\nANSWER: -999" if i % 2 else "1. ...\nso 5", "stop", 1, 1)
            for i, _ in enumerate(requests)
        ]


def test_programmatic_teacher_passes_every_task_and_a_bad_teacher_is_rejected():
    built = build_suite(seed=1, skill_ids=["median", "add-days", "fraction-addition"])
    kept, rejected = distill(
        built.corpus_tasks,
        built.skills,
        programmatic_teacher(built),
        "programmatic",
        decoding=Decoding(),
    )
    assert len(kept) == len(built.corpus_tasks) and not rejected
    kept, rejected = distill(
        built.corpus_tasks, built.skills, WrongTeacher(), "wrong", decoding=Decoding(), batch_size=4
    )
    assert not kept and len(rejected) == len(built.corpus_tasks)
    reasons = {r.reason.split(" ")[0] for r in rejected}
    assert reasons == {"no", "answer"}  # "no ANSWER: line", "answer '-999' differs …"


def test_distill_command_with_a_model_teacher_writes_rejects(tmp_path, tiny_model, subprocess_env):
    write_suite(tmp_path, build_suite(seed=0, corpus_per_skill=1, skill_ids=["median"]))
    result = subprocess.run(
        [
            *PROCSFT,
            "distill",
            "--suite",
            str(tmp_path),
            "--teacher",
            tiny_model.load_from,
            "--out",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        env=subprocess_env,
    )
    assert result.returncode == 0, result.stderr
    rejects = list(read_rows(tmp_path / "out" / "rejects.jsonl", CorpusRow))
    assert len(rejects) == 1 and rejects[0].verdict == "fail"  # a random model is never right
    assert (tmp_path / "out" / "manifest.json").exists()


def test_the_distill_command_writes_the_programmatic_corpus_the_suite_build_wrote(tmp_path):
    write_suite(tmp_path / "s", build_suite(seed=0, corpus_per_skill=2, skill_ids=["median"]))
    counts = distill_suite(tmp_path / "s", "programmatic", tmp_path / "o")
    assert (tmp_path / "o" / "corpus.jsonl").read_bytes() == (
        tmp_path / "s" / "corpus.jsonl"
    ).read_bytes()
    assert counts["distillation"]["per_skill"] == {
        "median": {"kept": 2, "rejected": 0, "judged": 0, "judge_passed": 0}
    }
    assert counts["distillation"]["teacher_path"]["engine"] == "programmatic"


def _judging_config(tmp_path, server, **distill) -> StudyConfig:
    judge = {
        "name": "judge",
        "kind": "llm",
        "backend": "openai",
        "model": "grader",
        "base_url": f"{server.url}/v1",
        "api_key_env": "DISTILL_JUDGE_KEY",
    }
    data = tiny_config(tmp_path, tmp_path / "cache", scorers=[judge], distill=distill)
    return StudyConfig.model_validate(data)


def _distill(config: StudyConfig, suite, out):
    return distill_suite(
        suite,
        config.distill_settings(),
        out,
        config.storage.cache_dir,
        judge=config.distill_judge(),
        compute=config.compute,
    )


def _grade_all_but_median(text: str) -> str:
    block = text.split("<student_response>")[-1]
    if "median" in block or "middle" in block:
        return "The median step is not shown.\nVERDICT: FAIL"
    return "Follows the procedure.\nVERDICT: PASS"


def test_a_judge_for_all_tasks_filters_every_demonstration_and_is_asked_once(tmp_path, monkeypatch):
    monkeypatch.setenv("DISTILL_JUDGE_KEY", "sk-x")
    suite = tmp_path / "s"
    write_suite(suite, build_suite(seed=0, corpus_per_skill=2, skill_ids=["median", "gcd-euclid"]))
    with LoopbackLLMServer() as server:
        server.respond_with(_grade_all_but_median)
        config = _judging_config(tmp_path, server, judge="judge", judge_tasks="all")
        counts = _distill(config, suite, tmp_path / "o")
        assert len(server.requests) == 4  # the judge graded every demonstration
        again = _distill(config, suite, tmp_path / "o")
        assert len(server.requests) == 4, "cached verdicts are not asked for again"
    assert again["distillation"] == counts["distillation"]
    per_skill = counts["distillation"]["per_skill"]
    assert per_skill["median"] == {"kept": 0, "rejected": 2, "judged": 2, "judge_passed": 0}
    assert per_skill["gcd-euclid"] == {"kept": 2, "rejected": 0, "judged": 2, "judge_passed": 2}
    rejects = list(read_rows(tmp_path / "o" / "rejects.jsonl", CorpusRow))
    assert {r.reason for r in rejects} == {"judge: The median step is not shown."}


def test_failed_judge_requests_exit_4_publish_nothing_and_a_rerun_asks_only_for_them(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("DISTILL_JUDGE_KEY", "sk-x")
    suite = tmp_path / "s"
    write_suite(suite, build_suite(seed=0, corpus_per_skill=3, skill_ids=["median"]))
    with LoopbackLLMServer() as server:
        server.respond_with(lambda text: "Fine.\nVERDICT: PASS")
        config = _judging_config(tmp_path, server, judge="judge", judge_tasks="all")
        (task,) = [t for t in read_rows(suite / "corpus_tasks.jsonl", Task) if t.task_id[-1] == "2"]
        server.enqueue("status", 400, match=task.prompt)  # one demonstration's grading
        with pytest.raises(GenerationFailed, match="1 requests failed") as failed:
            _distill(config, suite, tmp_path / "o")
        assert failed.value.exit_code == ExitCode.API_FAILED
        assert not (tmp_path / "o" / "corpus.jsonl").exists()
        sent = len(server.requests)
        counts = _distill(config, suite, tmp_path / "o")
        assert len(server.requests) == sent + 1  # only the failed verdict is asked again
    assert counts["kept"] == 3


def test_the_distill_budget_stops_an_api_teacher_cleanly(tmp_path, monkeypatch):
    monkeypatch.setenv("DISTILL_JUDGE_KEY", "sk-x")
    suite = tmp_path / "s"
    write_suite(suite, build_suite(seed=0, corpus_per_skill=3, skill_ids=["median"]))
    with LoopbackLLMServer() as server:
        teacher = {
            "teacher": "openai:writer",
            "base_url": f"{server.url}/v1",
            "api_key_env": "DISTILL_JUDGE_KEY",
            "max_concurrency": 1,
            "budget": {"max_tokens": 10},
        }
        config = _judging_config(tmp_path, server, **teacher)
        with pytest.raises(BudgetExceeded, match="of 10 tokens") as spent:
            _distill(config, suite, tmp_path / "o")
        assert spent.value.exit_code == ExitCode.BUDGET_SPENT
        assert len(server.requests) == 1  # the first reply spent it: no request started after
    partial = tmp_path / "o" / "demonstrations.jsonl.partial"
    assert len(partial.read_bytes().splitlines()) == 1  # what was paid for is kept


def test_distill_section_is_checked_and_absent_changes_no_fingerprint(tmp_path):
    data = tiny_config(tmp_path, tmp_path)
    plain = StudyConfig.model_validate(data)
    assert "distill" not in plain.model_dump() and plain.distill_settings().teacher == (
        "programmatic"
    )
    with pytest.raises(ValueError, match="names no `llm` entry of `scorers`"):
        StudyConfig.model_validate(data | {"distill": {"judge": "extractor"}})
    with pytest.raises(ValueError, match="`judge_tasks: all` needs a `judge`"):
        StudyConfig.model_validate(data | {"distill": {"judge_tasks": "all"}})
    with pytest.raises(ValueError, match="names no model"):
        StudyConfig.model_validate(data | {"distill": {"teacher": "openai:"}})
    api = StudyConfig.model_validate(data | {"distill": {"teacher": "anthropic:claude-opus-4"}})
    assert (api.distill.teacher_backend, api.distill.teacher_model) == (
        "anthropic",
        "claude-opus-4",
    )
    assert api.fingerprint() != plain.fingerprint()
    local = StudyConfig.model_validate(data | {"distill": {"teacher": "embedded:smollm2-135m"}})
    assert local.distill.teacher_backend == "local"
