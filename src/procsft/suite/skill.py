"""What a built-in skill is: a Skill row, a seeded problem generator, and worked solutions."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from procsft.answers import AnswerType
from procsft.schema import Skill


@dataclass(frozen=True)
class Problem:
    """One generated problem: its text, its reference answer and the five worked steps."""

    prompt: str
    answer: str
    work: tuple[str, str, str, str, str]
    tolerance: float = 0.0

    def solution(self) -> str:
        """Return the five-step worked solution ending in the `ANSWER:` line (the teacher)."""
        lines = [f"{i}. {step}" for i, step in enumerate(self.work, start=1)]
        return "\n".join([*lines, f"ANSWER: {self.answer}"])


@dataclass(frozen=True)
class SkillSpec:
    """A built-in skill: its row and a generator of problems from a seeded `random.Random`."""

    skill: Skill
    generate: Callable[[random.Random], Problem]


def define(
    skill_id: str,
    name: str,
    domain: str,
    answer_type: AnswerType,
    steps: Sequence[str],
    generate: Callable[[random.Random], Problem],
) -> SkillSpec:
    """Return a SkillSpec; the Skill row checks that there are exactly five steps."""
    skill = Skill(
        skill_id=skill_id, name=name, domain=domain, steps=list(steps), answer_type=answer_type
    )
    return SkillSpec(skill=skill, generate=generate)
