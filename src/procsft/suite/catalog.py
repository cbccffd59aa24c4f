"""The catalog of built-in skills, in a fixed order (suite files depend on it)."""

from __future__ import annotations

from procsft.suite.domains import DOMAIN_MODULES
from procsft.suite.skill import SkillSpec

SKILLS: tuple[SkillSpec, ...] = tuple(spec for module in DOMAIN_MODULES for spec in module.SKILLS)
