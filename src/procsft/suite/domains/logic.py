"""Built-in skills: logic and sets."""

from __future__ import annotations

from procsft.suite.skill import SkillSpec

SKILLS: tuple[SkillSpec, ...] = ()
