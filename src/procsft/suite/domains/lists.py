"""Built-in skills: lists and data."""

from __future__ import annotations

import random

from procsft.suite.skill import Problem, SkillSpec, define


def _median(rng: random.Random) -> Problem:
    values = [rng.randint(1, 99) for _ in range(rng.choice([5, 7, 9]))]
    ordered = sorted(values)
    middle = (len(values) + 1) // 2
    return Problem(
        prompt=f"What is the median of {', '.join(map(str, values))}?",
        answer=str(ordered[middle - 1]),
        work=(
            f"The values are {', '.join(map(str, values))}.",
            f"Sorted: {', '.join(map(str, ordered))}.",
            f"There are {len(values)} values.",
            f"The middle position is ({len(values)} + 1) / 2 = {middle}.",
            f"The median is {ordered[middle - 1]}.",
        ),
    )


SKILLS: tuple[SkillSpec, ...] = (
    define(
        "median",
        "Median of a list",
        "lists and data",
        "integer",
        [
            "List the values.",
            "Sort them in ascending order.",
            "Count how many values there are.",
            "Find the middle position, (n + 1) / 2.",
            "State the value at that position.",
        ],
        _median,
    ),
)
