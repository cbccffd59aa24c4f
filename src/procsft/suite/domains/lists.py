"""Built-in skills: lists and data."""

from __future__ import annotations

import itertools
import math
import random
from collections import Counter
from fractions import Fraction

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


def _two_places(value: Fraction) -> str:
    # Exact half-up rounding: float formatting would round some halves down.
    cents = math.floor(value * 100 + Fraction(1, 2))
    return f"{cents // 100}.{cents % 100:02d}"


def _mean(rng: random.Random) -> Problem:
    # At most seven values, so the mean never ends in a half cent and rounding is unambiguous.
    values = [rng.randint(1, 99) for _ in range(rng.randint(4, 7))]
    total = sum(values)
    mean = Fraction(total, len(values))
    exact = mean * 10_000 == math.floor(mean * 10_000)
    quotient = f"{'' if exact else 'about '}{float(mean):.4f}"
    return Problem(
        prompt=(
            f"What is the arithmetic mean of {', '.join(map(str, values))}? Give the answer "
            "rounded to 2 decimal places."
        ),
        answer=_two_places(mean),
        work=(
            f"The values are {', '.join(map(str, values))}.",
            f"Their sum is {' + '.join(map(str, values))} = {total}.",
            f"There are {len(values)} values.",
            f"{total} / {len(values)} = {quotient}.",
            f"Rounded to 2 decimal places the mean is {_two_places(mean)}.",
        ),
        tolerance=0.005,
    )


def _mode(rng: random.Random) -> Problem:
    top = rng.randint(3, 4)
    mode, *others = rng.sample(range(1, 21), rng.randint(4, 6))
    # Every other value occurs fewer times than the mode, so the mode is unique.
    values = [mode] * top + [v for v in others for _ in range(rng.randint(1, top - 1))]
    rng.shuffle(values)
    counts = sorted(Counter(values).items())
    return Problem(
        prompt=f"What is the mode (the most frequent value) of {', '.join(map(str, values))}?",
        answer=str(mode),
        work=(
            f"The values are {', '.join(map(str, values))}.",
            f"Sorted: {', '.join(map(str, sorted(values)))}.",
            "Counts: " + ", ".join(f"{v} occurs {n} time{'s' * (n > 1)}" for v, n in counts) + ".",
            f"The highest count is {top}.",
            f"Only {mode} occurs {top} times, so the mode is {mode}.",
        ),
    )


def _sort_ascending(rng: random.Random) -> Problem:
    values = [rng.randint(-20, 99) for _ in range(rng.randint(5, 9))]
    ordered = sorted(values)
    listed = ", ".join(map(str, ordered))
    return Problem(
        prompt=(
            f"Sort these integers in ascending order: {', '.join(map(str, values))}. Give them "
            "as a comma-separated list."
        ),
        answer=listed,
        work=(
            f"The numbers are {', '.join(map(str, values))}, {len(values)} in all.",
            f"The smallest is {ordered[0]} and the largest is {ordered[-1]}.",
            f"Taking the smallest remaining number each time gives {listed}.",
            f"The sorted list has {len(values)} numbers, runs from {ordered[0]} to "
            f"{ordered[-1]} and never decreases.",
            f"In ascending order: {listed}.",
        ),
    )


_COMPONENTS = ("homework", "quizzes", "labs", "project", "midterm exam", "final exam")


def _weighted_average(rng: random.Random) -> Problem:
    k = rng.randint(2, 4)
    chosen = rng.sample(_COMPONENTS, k)
    names = [c for c in _COMPONENTS if c in chosen]
    # Weights are multiples of 5% adding up to 100%, so the average is exact to the cent.
    cuts = [0, *sorted(rng.sample(range(1, 20), k - 1)), 20]
    weights = [Fraction(5 * (b - a), 100) for a, b in itertools.pairwise(cuts)]
    scores = [rng.randint(50, 100) for _ in names]
    total = sum((s * w for s, w in zip(scores, weights, strict=True)), Fraction(0))
    parts = list(zip(names, scores, weights, strict=True))
    return Problem(
        prompt=(
            "A course grade is weighted "
            + ", ".join(f"{n} {w * 100}%" for n, _, w in parts)
            + ". A student scored "
            + ", ".join(f"{s} in {n}" for n, s, _ in parts)
            + ". What is the weighted average grade? Give the answer to 2 decimal places."
        ),
        answer=_two_places(total),
        work=(
            "Scores and weights: " + ", ".join(f"{n} {s} at {w * 100}%" for n, s, w in parts) + ".",
            f"As decimals the weights are {', '.join(_two_places(w) for w in weights)}.",
            "Products: "
            + ", ".join(f"{s} x {_two_places(w)} = {_two_places(s * w)}" for _, s, w in parts)
            + ".",
            f"Their sum is {_two_places(total)}; the weights add up to 1, so the average is "
            f"{_two_places(total)}.",
            f"To 2 decimal places the weighted average is {_two_places(total)}.",
        ),
        tolerance=0.005,
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
    define(
        "mean",
        "Arithmetic mean of a list",
        "lists and data",
        "decimal",
        [
            "List the values.",
            "Add them up.",
            "Count how many values there are.",
            "Divide the sum by the count.",
            "Round the result to the requested decimal places.",
        ],
        _mean,
    ),
    define(
        "mode",
        "Mode of a list",
        "lists and data",
        "integer",
        [
            "List the values.",
            "Sort them so equal values sit together.",
            "Count how often each distinct value occurs.",
            "Find the highest count.",
            "State the value that has the highest count.",
        ],
        _mode,
    ),
    define(
        "sort-ascending",
        "Sorting integers in ascending order",
        "lists and data",
        "list",
        [
            "List the numbers and count them.",
            "Find the smallest and the largest number.",
            "Order the numbers by repeatedly taking the smallest one that remains.",
            "Check that no number was lost and that the list never decreases.",
            "State the sorted numbers separated by commas.",
        ],
        _sort_ascending,
    ),
    define(
        "weighted-average",
        "Weighted average of scores",
        "lists and data",
        "decimal",
        [
            "List each component's score and weight.",
            "Write each weight as a decimal.",
            "Multiply each score by its weight.",
            "Add the products and divide by the sum of the weights.",
            "Round the result to the requested decimal places.",
        ],
        _weighted_average,
    ),
)
