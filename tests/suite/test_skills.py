import pytest

from procsft.answers import answers_match
from procsft.errors import ConfigError
from procsft.judge.extractor import extract_answer
from procsft.suite import SKILLS, build_holdout
from procsft.suite.build import select_skills


def test_at_least_eight_skills_each_with_five_steps_and_unique_ids():
    assert len(SKILLS) >= 8
    ids = [spec.skill.skill_id for spec in SKILLS]
    assert len(ids) == len(set(ids))
    assert all(len(spec.skill.steps) == 5 for spec in SKILLS)


def test_holdout_is_deterministic_for_a_seed_and_varies_with_it():
    _, first = build_holdout(seed=3, tasks_per_skill=5)
    _, again = build_holdout(seed=3, tasks_per_skill=5)
    _, other = build_holdout(seed=4, tasks_per_skill=5)
    assert first == again
    assert [t.prompt for t in first] != [t.prompt for t in other]
    assert len(first) == 5 * len(SKILLS)
    assert len({t.task_id for t in first}) == len(first)


def test_worked_solutions_pass_the_extractor():
    import random

    for spec in SKILLS:
        rng = random.Random(spec.skill.skill_id)
        for _ in range(25):
            problem = spec.generate(rng)
            solution = problem.solution()
            assert len(solution.splitlines()) == 6  # five steps and the ANSWER line
            extracted = extract_answer(solution)
            assert extracted is not None, solution
            assert answers_match(
                extracted, problem.answer, spec.skill.answer_type, problem.tolerance
            ), (spec.skill.skill_id, solution)


def test_unknown_skill_in_subset_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown skill 'nope'"):
        select_skills(["median", "nope"])
