"""Build the suite deterministically from a seed: skills, holdout tasks, corpus tasks.

The holdout has `tasks_per_skill` tasks per skill; in about 16.5 % of skills (as in the paper)
the last one is a free-form task with a rubric, which only an LLM judge can score. Corpus tasks
come from a separate random stream and are kept only if they do not leak into the holdout.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from procsft.errors import ConfigError
from procsft.leakage import LeakIndex
from procsft.schema import Skill, Task
from procsft.suite.catalog import SKILLS
from procsft.suite.skill import Problem, SkillSpec

FREE_FORM_SHARE = 0.165


@dataclass(frozen=True)
class BuiltSuite:
    skills: list[Skill]
    holdout: list[Task]
    corpus_tasks: list[Task]
    solutions: dict[str, str]
    """Worked solution of every corpus task, by task id: the programmatic teacher's answers."""
    params: dict
    """The arguments of `build_suite`, so the same suite can be built again."""


def select_skills(skill_ids: list[str] | None) -> list[SkillSpec]:
    """Return the specs of `skill_ids` (all when `None`); an unknown id is a ConfigError."""
    if skill_ids is None:
        return list(SKILLS)
    known = {spec.skill.skill_id: spec for spec in SKILLS}
    unknown = [sid for sid in skill_ids if sid not in known]
    if unknown:
        raise ConfigError(f"subset.skills: unknown skill {unknown[0]!r}; known: {sorted(known)}")
    return [known[sid] for sid in skill_ids]


def free_form_skills(seed: int, tasks_per_skill: int) -> set[str]:
    """Return the skills whose last holdout task is free-form (one per skill, 16.5 % of all
    tasks), chosen from the whole catalog so a subset run keeps each skill's holdout unchanged."""
    ids = sorted(spec.skill.skill_id for spec in SKILLS)
    count = min(len(ids), round(FREE_FORM_SHARE * len(ids) * tasks_per_skill))
    return set(random.Random(f"{seed}:free-form").sample(ids, count))


def _reference_task(task_id: str, spec: SkillSpec, split: str, problem: Problem) -> Task:
    return Task(
        task_id=task_id,
        skill_id=spec.skill.skill_id,
        split=split,
        prompt=problem.prompt,
        answer_type=spec.skill.answer_type,
        reference=problem.answer,
        tolerance=problem.tolerance,
    )


def _free_form_task(task_id: str, spec: SkillSpec, problem: Problem) -> Task:
    return Task(
        task_id=task_id,
        skill_id=spec.skill.skill_id,
        split="holdout",
        prompt=(
            f"{problem.prompt}\nExplain your method step by step in full sentences, saying "
            "what each step does with these values and why, and finish with the result."
        ),
        answer_type=spec.skill.answer_type,
        rubric=(
            f"PASS only if the explanation carries out every step of '{spec.skill.name}' in "
            f"order on these values, each step is correct, and it reaches {problem.answer}. "
            "FAIL if a step is missing, wrong or out of order, or the result differs."
        ),
    )


def _distinct(rng: random.Random, spec: SkillSpec, n: int, accept) -> list[Problem]:
    problems, seen = [], set()
    for _ in range(200 * n):  # bounded: a generator with too few distinct problems fails loudly
        if len(problems) == n:
            break
        problem = spec.generate(rng)
        if problem.prompt not in seen and accept(problem):
            seen.add(problem.prompt)
            problems.append(problem)
    if len(problems) == n:
        return problems
    raise RuntimeError(f"skill {spec.skill.skill_id!r}: could not draw {n} distinct problems")


def build_suite(
    seed: int,
    tasks_per_skill: int = 5,
    corpus_per_skill: int = 9,
    skill_ids: list[str] | None = None,
) -> BuiltSuite:
    """Return the skills, holdout, corpus tasks and worked solutions for `seed`."""
    specs = select_skills(skill_ids)
    free_form = free_form_skills(seed, tasks_per_skill)
    holdout, corpus, solutions = [], [], {}
    for spec in specs:
        sid = spec.skill.skill_id
        # A string seed is hashed with sha512 by `random`: stable across runs and platforms.
        problems = _distinct(random.Random(f"{seed}:{sid}:holdout"), spec, tasks_per_skill, bool)
        for i, problem in enumerate(problems, start=1):
            task_id = f"{sid}-h{i:02d}"
            if sid in free_form and i == len(problems):
                holdout.append(_free_form_task(task_id, spec, problem))
            else:
                holdout.append(_reference_task(task_id, spec, "holdout", problem))
        index = LeakIndex([(f"h{i}", p.prompt) for i, p in enumerate(problems)])

        def clean(problem: Problem, index: LeakIndex = index) -> bool:
            return index.find("candidate", problem.prompt) is None

        rng = random.Random(f"{seed}:{sid}:corpus")
        for i, problem in enumerate(_distinct(rng, spec, corpus_per_skill, clean), start=1):
            task = _reference_task(f"{sid}-c{i:02d}", spec, "corpus", problem)
            corpus.append(task)
            solutions[task.task_id] = problem.solution()
    params = {
        "seed": seed,
        "tasks_per_skill": tasks_per_skill,
        "corpus_per_skill": corpus_per_skill,
        "skill_ids": skill_ids,
    }
    return BuiltSuite([s.skill for s in specs], holdout, corpus, solutions, params)


def build_holdout(
    seed: int, tasks_per_skill: int, skill_ids: list[str] | None = None
) -> tuple[list[Skill], list[Task]]:
    """Return the skills and holdout tasks of `build_suite` (no corpus)."""
    built = build_suite(seed, tasks_per_skill, corpus_per_skill=0, skill_ids=skill_ids)
    return built.skills, built.holdout
