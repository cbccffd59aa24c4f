"""Built-in skills: arithmetic and finance."""

from __future__ import annotations

import random

from procsft.suite.skill import Problem, SkillSpec, define


def _percent_change(rng: random.Random) -> Problem:
    old = rng.randrange(20, 400, 5)
    new = old + rng.choice([-1, 1]) * rng.randrange(5, old, 5)
    change = new - old
    pct = round(change / old * 100, 1)
    return Problem(
        prompt=(
            f"A price changed from ${old} to ${new}. By what percent did it change? Give the "
            "percent rounded to one decimal place, negative for a decrease."
        ),
        answer=f"{pct:.1f}",
        work=(
            f"The old value is {old}.",
            f"The new value is {new}.",
            f"The change is {new} - {old} = {change}.",
            f"{change} / {old} x 100 = {change / old * 100:.4f}.",
            f"Rounded to one decimal place the change is {pct:.1f}%.",
        ),
        tolerance=0.05,
    )


def _simple_interest(rng: random.Random) -> Problem:
    principal = rng.randrange(500, 10_000, 100)
    rate = rng.choice([2, 3, 4, 5, 6, 8, 10])
    years = rng.randint(1, 6)
    interest = principal * rate * years // 100
    return Problem(
        prompt=(
            f"How much simple interest, in dollars, does ${principal} earn at {rate}% per year "
            f"over {years} years?"
        ),
        answer=str(interest),
        work=(
            f"The principal is {principal}.",
            f"The annual rate is {rate}%.",
            f"The time is {years} years.",
            f"{principal} x {rate} x {years} / 100 = {interest}.",
            f"The simple interest is ${interest}.",
        ),
    )


SKILLS: tuple[SkillSpec, ...] = (
    define(
        "percent-change",
        "Percent change",
        "arithmetic and finance",
        "decimal",
        [
            "Identify the old value.",
            "Identify the new value.",
            "Subtract the old value from the new value to get the change.",
            "Divide the change by the old value and multiply by 100.",
            "Round to one decimal place and state the result.",
        ],
        _percent_change,
    ),
    define(
        "simple-interest",
        "Simple interest",
        "arithmetic and finance",
        "integer",
        [
            "Identify the principal.",
            "Identify the annual interest rate as a percent.",
            "Identify the time in years.",
            "Multiply principal, rate and time, then divide by 100.",
            "State the interest.",
        ],
        _simple_interest,
    ),
)
