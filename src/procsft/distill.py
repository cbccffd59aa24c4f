"""Distillation: a teacher writes a five-step solution per corpus task; a judge keeps passes.

This is how the paper built its corpus (frontier-teacher chain of thought, kept only when a
judge passed it). Offline the teacher is the programmatic one; any Generator can teach.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from procsft.answers import answers_match
from procsft.config import Decoding
from procsft.inference.protocol import GenerationRequest, Generator
from procsft.judge.extractor import extract_answer
from procsft.prompt import build_messages
from procsft.schema import CorpusRow, Skill, Task


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
    """Return (kept, rejected) demonstrations, one per corpus task, in task order."""
    by_id = {skill.skill_id: skill for skill in skills}
    kept, rejected = [], []
    for start in range(0, len(tasks), batch_size):
        batch = tasks[start : start + batch_size]
        requests = [
            GenerationRequest(
                messages=build_messages(task, by_id[task.skill_id], "curated"),
                max_new_tokens=decoding.max_new_tokens,
                temperature=decoding.temperature,
                top_p=decoding.top_p,
            )
            for task in batch
        ]
        for task, generation in zip(batch, teacher.generate(requests), strict=True):
            passed, reason = judge_demonstration(task, generation.text)
            row = CorpusRow(
                row_id=task.task_id,
                task_id=task.task_id,
                skill_id=task.skill_id,
                prompt=task.prompt,
                response=generation.text or "(empty)",
                teacher=teacher_id,
                verdict="pass" if passed else "fail",
                reason=reason,
            )
            (kept if passed else rejected).append(row)
    return kept, rejected


def counts_per_skill(kept: Sequence[CorpusRow], rejected: Sequence[CorpusRow]) -> dict:
    """Return {skill_id: {"kept": n, "rejected": m}} for the manifest."""
    k, r = Counter(row.skill_id for row in kept), Counter(row.skill_id for row in rejected)
    return {sid: {"kept": k[sid], "rejected": r[sid]} for sid in sorted(k.keys() | r.keys())}
