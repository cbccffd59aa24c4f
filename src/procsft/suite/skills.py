"""The starter procedural skills: each a five-step block, a seeded problem generator, and a
worked solution that follows the five steps (the offline programmatic teacher)."""

from __future__ import annotations

import calendar
import datetime as dt
import math
import random
from collections.abc import Callable
from dataclasses import dataclass

from procsft.schema import Skill


@dataclass(frozen=True)
class Problem:
    """One generated problem: its text, its reference answer and the five worked steps."""

    prompt: str
    answer: str
    work: tuple[str, str, str, str, str]
    tolerance: float = 0.0

    def solution(self) -> str:
        """Return the five-step worked solution ending in the `ANSWER:` line."""
        lines = [f"{i}. {step}" for i, step in enumerate(self.work, start=1)]
        return "\n".join([*lines, f"ANSWER: {self.answer}"])


@dataclass(frozen=True)
class SkillSpec:
    skill: Skill
    generate: Callable[[random.Random], Problem]


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


_WORDS = (
    "lantern orchard velocity harmonica quiet meadow umbrella pioneer cathedral biscuit "
    "autumn elephant journey kitchen notebook octopus paradise question rainbow sunflower "
    "tornado universe volcano window yesterday zeppelin avocado balcony dinosaur education"
).split()

_VOWELS = "aeiou"


def _count_vowels(rng: random.Random) -> Problem:
    text = " ".join(rng.sample(_WORDS, 2))
    marked = [c for c in text if c in _VOWELS]
    return Problem(
        prompt=f'How many vowels (a, e, i, o, u) are in the text "{text}"?',
        answer=str(len(marked)),
        work=(
            f"The letters are: {' '.join(c for c in text if c != ' ')}.",
            f"The vowels in order are: {' '.join(marked)}.",
            "The letter y is not counted, and spaces are skipped.",
            f"Counting the marked letters gives {len(marked)}.",
            f"The text has {len(marked)} vowels.",
        ),
    )


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


def _caesar_shift(rng: random.Random) -> Problem:
    word, shift = rng.choice(_WORDS), rng.randint(1, 5)
    positions = [ord(c) - ord("a") for c in word]
    shifted = [(p + shift) % 26 for p in positions]
    result = "".join(chr(p + ord("a")) for p in shifted)
    return Problem(
        prompt=f'Shift every letter of "{word}" forward by {shift} in the alphabet (z wraps to a).',
        answer=result,
        work=(
            f"The letters are {' '.join(word)}.",
            f"Their positions (a = 0) are {', '.join(map(str, positions))}.",
            f"Adding {shift} and wrapping past 25 gives {', '.join(map(str, shifted))}.",
            f"Back to letters: {' '.join(result)}.",
            f"The shifted word is {result}.",
        ),
    )


def _spec(skill_id, name, domain, answer_type, steps, generate) -> SkillSpec:
    skill = Skill(skill_id=skill_id, name=name, domain=domain, steps=steps, answer_type=answer_type)
    return SkillSpec(skill=skill, generate=generate)


SKILLS: tuple[SkillSpec, ...] = (
    _spec(
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
    _spec(
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
    _spec(
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
    _spec(
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
    _spec(
        "count-vowels",
        "Counting vowels",
        "strings and text",
        "integer",
        [
            "Write out the letters of the text one by one.",
            "Mark every a, e, i, o and u.",
            "Skip spaces and do not count y.",
            "Count the marked letters.",
            "State the count.",
        ],
        _count_vowels,
    ),
    _spec(
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
    _spec(
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
    _spec(
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
    _spec(
        "caesar-shift",
        "Caesar shift of a word",
        "strings and text",
        "string",
        [
            "Write out the letters of the word.",
            "Write each letter's position in the alphabet, a = 0.",
            "Add the shift to each position, wrapping past 25 back to 0.",
            "Turn the positions back into letters.",
            "State the shifted word.",
        ],
        _caesar_shift,
    ),
)
