"""Built-in skills: geometry."""

from __future__ import annotations

import random

from procsft.suite.skill import Problem, SkillSpec, define


def _rectangle_perimeter(rng: random.Random) -> Problem:
    length, width = rng.randint(3, 60), rng.randint(2, 40)
    return Problem(
        prompt=f"A rectangle is {length} cm long and {width} cm wide. What is its perimeter in cm?",
        answer=str(2 * (length + width)),
        work=(
            f"The length is {length} cm.",
            f"The width is {width} cm.",
            f"{length} + {width} = {length + width}.",
            f"2 x {length + width} = {2 * (length + width)}.",
            f"The perimeter is {2 * (length + width)} cm.",
        ),
    )


SKILLS: tuple[SkillSpec, ...] = (
    define(
        "rectangle-perimeter",
        "Perimeter of a rectangle",
        "geometry",
        "integer",
        [
            "Identify the length.",
            "Identify the width.",
            "Add the length and the width.",
            "Multiply the sum by 2.",
            "State the perimeter with its unit.",
        ],
        _rectangle_perimeter,
    ),
)
