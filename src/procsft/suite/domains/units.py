"""Built-in skills: units and measures."""

from __future__ import annotations

import random

from procsft.suite.skill import Problem, SkillSpec, define


def _duration_minutes(rng: random.Random) -> Problem:
    hours, minutes = rng.randint(1, 12), rng.randint(1, 59)
    total = hours * 60 + minutes
    return Problem(
        prompt=f"A trip takes {hours} h {minutes} min. How many minutes is that in total?",
        answer=str(total),
        work=(
            f"The hours are {hours}.",
            f"The extra minutes are {minutes}.",
            f"{hours} hours x 60 = {hours * 60} minutes.",
            f"{hours * 60} + {minutes} = {total}.",
            f"The trip takes {total} minutes.",
        ),
    )


SKILLS: tuple[SkillSpec, ...] = (
    define(
        "duration-minutes",
        "Hours and minutes to minutes",
        "units and measures",
        "integer",
        [
            "Identify the hours.",
            "Identify the extra minutes.",
            "Multiply the hours by 60.",
            "Add the extra minutes.",
            "State the total in minutes.",
        ],
        _duration_minutes,
    ),
)
