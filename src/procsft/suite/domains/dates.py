"""Built-in skills: dates and time."""

from __future__ import annotations

import calendar
import datetime as dt
import random

from procsft.suite.skill import Problem, SkillSpec, define


def _days_between(rng: random.Random) -> Problem:
    year = rng.randint(2019, 2030)
    first, last = sorted(rng.sample(range(1, 13), 2))
    start = dt.date(year, first, rng.randint(1, calendar.monthrange(year, first)[1]))
    end = dt.date(year, last, rng.randint(1, calendar.monthrange(year, last)[1]))
    rest = calendar.monthrange(year, first)[1] - start.day
    middle = [calendar.monthrange(year, m)[1] for m in range(first + 1, last)]
    total = (end - start).days
    return Problem(
        prompt=f"How many days are there from {start.isoformat()} to {end.isoformat()}?",
        answer=str(total),
        work=(
            f"The start date is {start.isoformat()} and the end date is {end.isoformat()}.",
            f"Days left in the start month after the start date: {rest}.",
            f"Full months in between add {' + '.join(map(str, middle)) or '0'} = {sum(middle)}.",
            f"The end date adds {end.day} days of its month.",
            f"{rest} + {sum(middle)} + {end.day} = {total} days.",
        ),
    )


SKILLS: tuple[SkillSpec, ...] = (
    define(
        "days-between",
        "Days between two dates",
        "dates and time",
        "integer",
        [
            "Write down the start date and the end date.",
            "Count the days left in the start month after the start date.",
            "Add the number of days of every full month in between.",
            "Add the day of the month of the end date.",
            "State the total number of days.",
        ],
        _days_between,
    ),
)
