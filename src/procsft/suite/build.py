"""Build holdout tasks from the skills, deterministically from a seed."""

from __future__ import annotations

import random

from procsft.errors import ConfigError
from procsft.schema import Skill, Task
from procsft.suite.catalog import SKILLS
from procsft.suite.skill import SkillSpec


def select_skills(skill_ids: list[str] | None) -> list[SkillSpec]:
    """Return the specs of `skill_ids` (all when `None`); an unknown id is a ConfigError."""
    if skill_ids is None:
        return list(SKILLS)
    known = {spec.skill.skill_id: spec for spec in SKILLS}
    unknown = [sid for sid in skill_ids if sid not in known]
    if unknown:
        raise ConfigError(f"subset.skills: unknown skill {unknown[0]!r}; known: {sorted(known)}")
    return [known[sid] for sid in skill_ids]


def build_holdout(
    seed: int, tasks_per_skill: int, skill_ids: list[str] | None = None
) -> tuple[list[Skill], list[Task]]:
    """Return the skills and `tasks_per_skill` distinct holdout tasks per skill for `seed`."""
    specs = select_skills(skill_ids)
    tasks = []
    for spec in specs:
        # A string seed is hashed with sha512 by `random`: stable across runs and platforms.
        rng = random.Random(f"{seed}:{spec.skill.skill_id}:holdout")
        seen: set[str] = set()
        while len(seen) < tasks_per_skill:
            problem = spec.generate(rng)
            if problem.prompt in seen:
                continue
            seen.add(problem.prompt)
            tasks.append(
                Task(
                    task_id=f"{spec.skill.skill_id}-h{len(seen):02d}",
                    skill_id=spec.skill.skill_id,
                    split="holdout",
                    prompt=problem.prompt,
                    answer_type=spec.skill.answer_type,
                    reference=problem.answer,
                    tolerance=problem.tolerance,
                )
            )
    return [spec.skill for spec in specs], tasks
