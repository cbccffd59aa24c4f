"""What a built-in skill is: a Skill row, a seeded problem generator, and worked solutions."""

from __future__ import annotations

import random
import re
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

    def __post_init__(self) -> None:
        # The worked solution must be five numbered lines and one ANSWER line, nothing else.
        if len(self.work) != 5 or any("\n" in part for part in (*self.work, self.answer)):
            raise ValueError(f"a problem needs five one-line steps: {self.prompt[:60]!r}")
        if self.tolerance < 0:
            raise ValueError("tolerance must not be negative")

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
    if not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", skill_id):
        raise ValueError(f"skill id {skill_id!r} is not kebab-case")
    skill = Skill(
        skill_id=skill_id, name=name, domain=domain, steps=list(steps), answer_type=answer_type
    )
    return SkillSpec(skill=skill, generate=generate)
