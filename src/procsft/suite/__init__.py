"""The built-in procedural-skill suite: skills, seeded holdout and corpus builders."""

from procsft.suite.build import build_holdout
from procsft.suite.catalog import SKILLS
from procsft.suite.skill import Problem, SkillSpec

__all__ = ["SKILLS", "Problem", "SkillSpec", "build_holdout"]
