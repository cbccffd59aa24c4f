"""Built-in skills: algorithms by hand."""

from __future__ import annotations

import math
import random

from procsft.suite.skill import Problem, SkillSpec, define


def _gcd(rng: random.Random) -> Problem:
    factor = rng.randint(2, 20)
    a, b = sorted((factor * rng.randint(2, 30), factor * rng.randint(2, 30)), reverse=True)
    divisions, x, y = [], a, b
    while y:
        divisions.append(f"{x} = {x // y} x {y} + {x % y}")
        x, y = y, x % y
    return Problem(
        prompt=f"What is the greatest common divisor of {a} and {b}?",
        answer=str(math.gcd(a, b)),
        work=(
            f"The numbers, larger first, are {a} and {b}.",
            f"Divide: {divisions[0]}.",
            "Replace the pair with (divisor, remainder).",
            f"Repeat until the remainder is 0: {'; '.join(divisions[1:]) or 'already 0'}.",
            f"The last non-zero divisor is {math.gcd(a, b)}.",
        ),
    )


SKILLS: tuple[SkillSpec, ...] = (
    define(
        "gcd-euclid",
        "Greatest common divisor by Euclid's algorithm",
        "algorithms by hand",
        "integer",
        [
            "Write the two numbers, larger first.",
            "Divide the larger by the smaller and note the remainder.",
            "Replace the pair with the divisor and the remainder.",
            "Repeat steps 2 and 3 until the remainder is 0.",
            "State the last non-zero divisor as the GCD.",
        ],
        _gcd,
    ),
)
