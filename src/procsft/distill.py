"""Distillation: a teacher writes a five-step solution per corpus task; a filter keeps passes.

This is how the paper built its corpus (a frontier teacher's chain of thought, kept only when
an LLM judge passed it). Any Generator can teach: the programmatic one offline, a local model,
an API model. The filter is the `ANSWER:`-line extractor for reference tasks and an LLM judge
for rubric tasks, or the judge for every task.

Teacher replies are appended to a row log the moment they arrive (as rollout does with
episodes) and judge replies are cached by content and entered in the spend ledger (as judging
does), so a killed distillation resumes without paying for any reply twice.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from procsft.answers import answers_match
from procsft.config import Decoding
from procsft.inference.path import path_fingerprint
from procsft.inference.protocol import GenerationRequest, Generator, generate_each
from procsft.judge.extractor import ends_with_answer_line, extract_answer
from procsft.judge.llm import (
    JUDGE_ERROR,
    BudgetExceeded,
    Grade,
    JudgeSpend,
    SpendLedger,
    VerdictCache,
    judge_responses,
)
from procsft.prompt import build_messages
from procsft.rollout import GenerationFailed, episode_path
from procsft.schema import CorpusRow, Demonstration, RowLog, Skill, Task

TEACHER = "teacher"
"""The spend ledger's name for the teacher's requests (judges' entries carry their own)."""


def judge_demonstration(task: Task, response: str) -> tuple[bool, str]:
    """Return (passed, reason) for a teacher response, by the `ANSWER:`-line extractor."""
    if task.reference is None:
        return False, "no reference answer: needs an LLM judge"
    extracted = extract_answer(response)
    if extracted is None:
        return False, "no ANSWER: line"
    if not answers_match(extracted, task.reference, task.answer_type, task.tolerance):
        return False, f"answer {extracted!r} differs from reference {task.reference!r}"
    return True, "matches reference"


def distill(
    tasks: Sequence[Task],
    skills: Sequence[Skill],
    teacher: Generator,
    teacher_id: str,
    *,
    decoding: Decoding,
    batch_size: int = 8,
) -> tuple[list[CorpusRow], list[CorpusRow]]:
    """Return (kept, rejected) demonstrations, one per corpus task, in task order, filtered by
    the extractor alone (in memory: the built-in suite's programmatic corpus)."""
    requests = teacher_requests(tasks, skills, decoding)
    kept, rejected = [], []
    for start in range(0, len(tasks), batch_size):
        batch = tasks[start : start + batch_size]
        replies = teacher.generate(requests[start : start + batch_size])
        for task, generation in zip(batch, replies, strict=True):
            passed, reason = judge_demonstration(task, generation.text)
            row = corpus_row(task, generation.text, teacher_id, passed, reason)
            (kept if passed else rejected).append(row)
    return kept, rejected


def corpus_row(task: Task, response: str, teacher: str, passed: bool, reason: str) -> CorpusRow:
    """Return the corpus (or rejects) row of a filtered demonstration."""
    return CorpusRow(
        row_id=task.task_id,
        task_id=task.task_id,
        skill_id=task.skill_id,
        prompt=task.prompt,
        response=response or "(empty)",
        teacher=teacher,
        verdict="pass" if passed else "fail",
        reason=reason,
    )


def teacher_requests(
    tasks: Sequence[Task], skills: Sequence[Skill], decoding: Decoding
) -> list[GenerationRequest]:
    """Return the teacher's request per task: the `curated` prompt, as training shows it."""
    by_id = {skill.skill_id: skill for skill in skills}
    return [
        GenerationRequest(
            messages=build_messages(task, by_id[task.skill_id], "curated"),
            max_new_tokens=decoding.max_new_tokens,
            temperature=decoding.temperature,
            top_p=decoding.top_p,
        )
        for task in tasks
    ]


def counts_per_skill(
    kept: Sequence[CorpusRow],
    rejected: Sequence[CorpusRow],
    judged: Collection[str] = (),
) -> dict:
    """Return {skill_id: {"kept", "rejected", "judged", "judge_passed"}} for the manifest:
    `judged` counts the demonstrations an LLM judge graded (the row ids in `judged`) and
    `judge_passed` those of them it passed, so a skill's judge-pass rate is their ratio."""
    k, r = Counter(row.skill_id for row in kept), Counter(row.skill_id for row in rejected)
    j = Counter(row.skill_id for row in (*kept, *rejected) if row.row_id in judged)
    jp = Counter(row.skill_id for row in kept if row.row_id in judged)
    return {
        sid: {"kept": k[sid], "rejected": r[sid], "judged": j[sid], "judge_passed": jp[sid]}
        for sid in sorted(k.keys() | r.keys())
    }


@dataclass(frozen=True)
class Teacher:
    """Who writes the demonstrations, made only when one is missing."""

    teacher_id: str
    make_generator: Callable[[], Generator]
    decoding: Decoding
    batch_size: int
    """Requests per call of a local engine (one padded batch); replies are logged one by one."""
    paid: bool
    """Whether its replies are entered in the spend ledger and count against the budget."""


def teach(
    tasks: Sequence[Task],
    skills: Sequence[Skill],
    teacher: Teacher,
    log: RowLog,
    *,
    ledger: SpendLedger,
    spend: JudgeSpend,
) -> int:
    """Append the demonstrations missing from `log` and return how many were made now.

    A reply is logged the moment it arrives, so a kill loses no paid-for reply. An engine whose
    requests stand alone (an HTTP API) is asked only for the missing tasks; a local engine
    regenerates whole batches of the fixed plan, so a resumed batch has the same padded shapes
    and the same greedy text. Failed requests raise GenerationFailed (exit 4) once the others
    are kept; the budget stops new requests and raises BudgetExceeded (exit 6).
    """
    requests = teacher_requests(tasks, skills, teacher.decoding)
    # Rows another teacher or prompt wrote (an `--out` folder reused) are made again.
    planned = {t.task_id: r.messages for t, r in zip(tasks, requests, strict=True)}
    decoding = teacher.decoding.model_dump()
    log.forget(
        lambda d: (
            d.teacher != teacher.teacher_id
            or d.messages != planned.get(d.task_id)
            or any(d.path.get(key) != value for key, value in decoding.items())
        )
    )
    size = teacher.batch_size
    batches = [range(i, min(i + size, len(tasks))) for i in range(0, len(tasks), size)]
    todo = [b for b in batches if any(tasks[i].task_id not in log for i in b)]
    if not todo:
        return 0
    if teacher.paid and (reason := spend.spent(ledger)):
        raise BudgetExceeded(reason)
    generator = teacher.make_generator()
    path = episode_path(generator.path, teacher.decoding)
    fingerprint = path_fingerprint(path)
    work = [i for batch in todo for i in batch]
    if getattr(generator, "independent_requests", False):
        work = [i for i in work if tasks[i].task_id not in log]
    failed: list[str] = []
    made = 0

    def keep(j: int, g: Any) -> None:
        nonlocal made
        task, request = tasks[work[j]], requests[work[j]]
        if teacher.paid:
            ledger.add(TEACHER, _request_key(teacher.teacher_id, request), g)
        if not g.ok:
            failed.append(g.error or "")
            return
        made += 1
        row = Demonstration(
            task_id=task.task_id,
            skill_id=task.skill_id,
            teacher=teacher.teacher_id,
            messages=request.messages,
            response=g.text,
            finish_reason=g.finish_reason,
            prompt_tokens=g.prompt_tokens,
            completion_tokens=g.completion_tokens,
            path_fingerprint=fingerprint,
            path=path,
        )
        log.append([row])

    def admit() -> bool:
        return not teacher.paid or spend.spent(ledger) is None

    generate_each(generator, [requests[i] for i in work], size, keep, admit)
    if failed:  # what succeeded is kept; a rerun asks only for the failed ones
        raise GenerationFailed(
            f"distill teacher {teacher.teacher_id}: {len(failed)} requests failed, first: "
            f"{failed[0]}; rerun to retry them"
        )
    if any(t.task_id not in log for t in tasks):
        raise BudgetExceeded(spend.spent(ledger) or "distill budget spent")
    return made


def _request_key(teacher_id: str, request: GenerationRequest) -> str:
    material = json.dumps([teacher_id, asdict(request)], sort_keys=True)
    return hashlib.sha256(material.encode()).hexdigest()


@dataclass(frozen=True)
class JudgeFilter:
    """The LLM judge that filters demonstrations, and which tasks it decides."""

    name: str
    judge_path: dict[str, Any]
    """The judge's identity for the verdict cache (as judging makes it)."""
    make_generator: Callable[[], Generator]
    chunk: int
    max_new_tokens: int
    tasks: Literal["rubric", "all"]
    cache: VerdictCache


@dataclass
class Filtered:
    kept: list[CorpusRow] = field(default_factory=list)
    rejected: list[CorpusRow] = field(default_factory=list)
    judged: set[str] = field(default_factory=set)
    """Row ids of the demonstrations the LLM judge graded."""


def filter_demonstrations(
    demonstrations: Sequence[Demonstration],
    tasks: dict[str, Task],
    judge: JudgeFilter | None,
    *,
    ledger: SpendLedger,
    spend: JudgeSpend,
) -> Filtered:
    """Return the kept and rejected corpus rows, in the order of `demonstrations`.

    A demonstration whose last line is not an `ANSWER:` line is rejected first (the corpus
    format, which validation requires; no judge is paid for it). Then the extractor decides
    reference tasks and the judge rubric tasks (`judge.tasks: rubric`), or the judge decides
    every task (`all`); without a judge, rubric tasks are rejected. Rejects keep the reason:
    the judge's rationale, prefixed by its name. A judge request that fails after its retries
    raises GenerationFailed (exit 4) with nothing published: a rerun asks only for those.
    """
    decided: dict[int, tuple[bool, str]] = {}
    to_judge: list[int] = []
    for i, demo in enumerate(demonstrations):
        task = tasks[demo.task_id]
        if not ends_with_answer_line(demo.response):
            decided[i] = (False, "no ANSWER: line")
        elif judge is not None and (judge.tasks == "all" or task.reference is None):
            to_judge.append(i)
        else:
            decided[i] = judge_demonstration(task, demo.response)
    undecided: list[str] = []
    if judge is not None and to_judge:

        def take(grades: list[Grade]) -> None:
            for g in grades:
                i = to_judge[g.index]
                if g.reason.startswith(JUDGE_ERROR):
                    undecided.append(g.reason)
                elif g.passed is None:
                    decided[i] = (False, f"{judge.name}: undecided ({g.reason})")
                else:
                    decided[i] = (g.passed, f"{judge.name}: {g.reason}")

        judge_responses(
            [(tasks[demonstrations[i].task_id], demonstrations[i].response) for i in to_judge],
            judge.name,
            judge.make_generator,
            judge_path=judge.judge_path,
            cache=judge.cache,
            spend=spend,
            ledger=ledger,
            max_new_tokens=judge.max_new_tokens,
            chunk=judge.chunk,
            emit=take,
        )
    if undecided:
        raise GenerationFailed(
            f"distill judge {judge.name if judge else ''}: {len(undecided)} requests failed, "
            f"first: {undecided[0].removeprefix(JUDGE_ERROR)}; rerun to retry them"
        )
    out = Filtered()
    for i, demo in enumerate(demonstrations):
        passed, reason = decided[i]
        row = corpus_row(tasks[demo.task_id], demo.response, demo.teacher, passed, reason)
        (out.kept if passed else out.rejected).append(row)
    out.judged = {demonstrations[i].task_id for i in to_judge}
    return out
