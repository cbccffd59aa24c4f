"""Distillation as the paper did it: an API teacher writes the corpus and an API judge filters
it (rubric tasks included), served by a loopback server in both wire formats. The `procsft
distill` process is killed with SIGKILL once, while the teacher writes or while the judge
grades, and resumed: the server answers no request twice, the resumed corpus equals an
uninterrupted run's byte for byte, and its rows pass the suite's validation."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from procsft.cli import main
from procsft.schema import CorpusRow, Task, read_rows, write_rows
from procsft.suite.build import build_suite
from procsft.suite.files import write_suite
from procsft.testing.loopback_llm import LoopbackLLMServer
from procsft.validate import validate_suite
from tests.conftest import PROCSFT, tiny_config, write_yaml

KEY_ENV = "DISTILL_RESUME_KEY"
TIMEOUT_S = 120
SKILLS = ["gcd-euclid", "median"]
TASKS = 8  # 2 skills × 4 corpus tasks, of which 2 per skill are rubric tasks
JUDGED = 4  # the rubric tasks: the extractor decides the reference tasks


def rubric_suite(folder: Path) -> dict[str, str]:
    """Write a built suite whose corpus tasks c03 and c04 of each skill have a rubric instead
    of a reference answer; return each task prompt's worked solution."""
    built = build_suite(seed=0, corpus_per_skill=4, skill_ids=SKILLS)
    write_suite(folder, built)
    tasks = []
    for task in built.corpus_tasks:
        if task.task_id.endswith(("c03", "c04")):
            rubric = f"PASS only if every step is carried out and it reaches {task.reference}."
            task = Task.model_validate(task.model_dump() | {"reference": None, "rubric": rubric})
        tasks.append(task)
    write_rows(folder / "corpus_tasks.jsonl", tasks)
    return {t.prompt: (t.task_id, built.solutions[t.task_id]) for t in built.corpus_tasks}


def scripted_model(solutions: dict[str, tuple[str, str]]):
    """Return the server's model: a teacher that answers c02 wrongly and skips a step of c03,
    and a judge that fails a wrong answer or a skipped step, with its reason."""

    def reply(text: str) -> str:
        if "<student_response>" in text:
            block = text.split("<student_response>")[-1].split("</student_response>")[0]
            if "(skipped)" in block:
                return "Step 3 is missing.\nVERDICT: FAIL"
            if "-999" in block:
                return "The result is wrong.\nVERDICT: FAIL"
            return "Every step is carried out on these values.\nVERDICT: PASS"
        prompt = next(p for p in solutions if text.endswith(p))
        task_id, solution = solutions[prompt]
        lines = solution.splitlines()
        if task_id.endswith("c02"):
            lines[-1] = "ANSWER: -999"
        if task_id.endswith("c03"):
            lines[2] = "3. (skipped)"
        return "\n".join(lines)

    return reply


class Gate:
    """The responder: records what it answers; after `close_after(n)` it answers n requests and
    holds every later one until `release()` (a held reply goes out after the kill, to no one)."""

    def __init__(self, reply) -> None:
        self.reply = reply
        self.lock = threading.Lock()
        self.released = threading.Event()
        self.limit: int | None = None
        self.answered: list[str] = []
        self.held = 0

    def close_after(self, limit: int) -> None:
        self.limit = limit
        self.released.clear()

    def release(self) -> None:
        self.limit = None
        self.released.set()

    def __call__(self, text: str) -> str:
        identity = hashlib.sha256(text.encode()).hexdigest()
        with self.lock:
            hold = self.limit is not None and len(self.answered) >= self.limit
            if hold:
                self.held += 1
            else:
                self.answered.append(identity)
        if hold:
            self.released.wait(TIMEOUT_S)
            return "held"
        return self.reply(text)


def study(root: Path, server: LoopbackLLMServer, backend: str) -> Path:
    """Write the config of one distillation (its own cache, so its own verdict cache)."""
    (root / "out").mkdir(parents=True)
    url = f"{server.url}/v1" if backend == "openai" else server.url
    client = {"base_url": url, "api_key_env": KEY_ENV, "max_concurrency": 2}
    judge = {"name": "judge", "kind": "llm", "backend": backend, "model": "grader", **client}
    config = tiny_config(
        root,
        root / "cache",
        scorers=[{"name": "extractor", "kind": "extractor"}, judge],
        distill={"teacher": f"{backend}:teacher-model", "judge": "judge", **client},
    )
    return write_yaml(root / "study.yaml", config)


def start(config: Path, suite: Path, out: Path) -> subprocess.Popen:
    env = {**os.environ, KEY_ENV: "sk-loopback", "PYTHONUNBUFFERED": "1"}
    args = [*PROCSFT, "distill", "--suite", str(suite), "--out", str(out), "--config", str(config)]
    log = (out.parent / f"{out.name}.log").open("wb")
    with log:
        return subprocess.Popen(
            args, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )


def finish(proc: subprocess.Popen, out: Path) -> None:
    rc = proc.wait(timeout=TIMEOUT_S)
    assert rc == 0, (out.parent / f"{out.name}.log").read_text()[-3000:]


@pytest.mark.slow  # four studies of three processes each (about 12 s of CPU each)
@pytest.mark.parametrize("phase", ["teaching", "judging"])
@pytest.mark.parametrize("backend", ["openai", "anthropic"])
def test_killed_distillation_resumes_and_pays_for_no_reply_twice(
    tmp_path, monkeypatch, backend, phase
):
    suite = tmp_path / "suite"
    gate = Gate(scripted_model(rubric_suite(suite)))
    monkeypatch.setenv(KEY_ENV, "sk-loopback")
    with LoopbackLLMServer() as server:
        server.respond_with(gate)
        whole = tmp_path / "whole"
        config = study(whole, server, backend)
        args = ["--suite", str(suite), "--out", str(whole / "out"), "--config", str(config)]
        assert main(["distill", *args]) == 0  # the uninterrupted run, in this process
        uninterrupted = Counter(gate.answered)
        assert len(uninterrupted) == TASKS + JUDGED and set(uninterrupted.values()) == {1}

        gate.answered = []
        killed = tmp_path / "killed"
        out = killed / "out"
        config = study(killed, server, backend)
        # Teaching: 3 teacher replies, then held. Judging: every teacher reply and 2 verdicts.
        answers = 3 if phase == "teaching" else TASKS + 2
        gate.close_after(answers)
        proc = start(config, suite, out)
        deadline = time.monotonic() + TIMEOUT_S
        while time.monotonic() < deadline and proc.poll() is None:
            partial = out / "demonstrations.jsonl.partial"
            if phase == "teaching":
                durable = partial.exists() and len(partial.read_bytes().splitlines()) >= answers
            else:
                durable = len(list((killed / "cache" / "verdicts").glob("*/*.json"))) >= 2
            if durable and gate.held:
                break
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        gate.release()
        assert durable and gate.held, "the distillation finished before it could be killed"
        assert not (out / "corpus.jsonl").exists(), "nothing is published by a killed run"
        assert (out / "demonstrations.jsonl").exists() == (phase == "judging")
        finish(start(config, suite, out), out)

    # No request was answered twice, and the two processes asked exactly what one run asks.
    answered = Counter(gate.answered)
    assert answered == uninterrupted
    for name in ("corpus.jsonl", "rejects.jsonl", "demonstrations.jsonl"):
        assert (out / name).read_bytes() == (whole / "out" / name).read_bytes(), name

    kept = {r.task_id: r for r in read_rows(out / "corpus.jsonl", CorpusRow)}
    rejected = {r.task_id: r for r in read_rows(out / "rejects.jsonl", CorpusRow)}
    assert sorted(kept) == sorted(f"{s}-c{i}" for s in SKILLS for i in ("01", "04"))
    assert rejected["median-c02"].reason == "answer '-999' differs from reference " + repr(
        next(
            t.reference
            for t in read_rows(suite / "corpus_tasks.jsonl", Task)
            if t.task_id == "median-c02"
        )
    )
    assert rejected["median-c03"].reason == "judge: Step 3 is missing."  # the judge's reason
    assert kept["median-c04"].reason == "judge: Every step is carried out on these values."
    assert {r.teacher for r in kept.values()} == {f"{backend}:teacher-model"}

    manifest = json.loads((out / "manifest.json").read_text())["distillation"]
    assert manifest["per_skill"]["median"] == {
        "kept": 2,
        "rejected": 2,
        "judged": 2,
        "judge_passed": 1,
    }
    assert manifest["teacher_path"]["engine"] == backend
    assert manifest["teacher_path"]["model_id"] == "teacher-model"
    assert manifest["judge_path"]["engine"] == backend
    assert manifest["judge_path"]["prompt_version"] == "judge-v1"
    # The spend ledger holds every reply either process paid for, each once.
    assert manifest["spend"]["teacher"]["requests"] == TASKS
    assert manifest["spend"]["judge"]["requests"] == JUDGED
    assert "sk-loopback" not in "".join(p.read_text() for p in out.iterdir())

    report = validate_suite(suite / "skills.jsonl", suite / "holdout.jsonl", out / "corpus.jsonl")
    assert report.success, [f.line() for f in report.failures]
