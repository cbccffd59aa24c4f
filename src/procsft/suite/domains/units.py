"""Built-in skills: units and measures."""

from __future__ import annotations

import random
from fractions import Fraction

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


def _one_place(value: Fraction) -> str:
    # Only called on values with at most one decimal place, so the float formatting is exact.
    return f"{float(value):.1f}"


def _celsius_to_fahrenheit(rng: random.Random) -> Problem:
    # Whole and half degrees Celsius give Fahrenheit values with exactly one decimal place.
    celsius = Fraction(rng.randint(-80, 240), 2)
    shown = f"{float(celsius):g}"
    fahrenheit = celsius * 9 / 5 + 32
    return Problem(
        prompt=(
            f"Convert {shown} degrees Celsius to degrees Fahrenheit. Give the answer to one "
            "decimal place."
        ),
        answer=_one_place(fahrenheit),
        work=(
            f"The temperature is {shown} degrees Celsius.",
            f"{shown} x 9 = {_one_place(celsius * 9)}.",
            f"{_one_place(celsius * 9)} / 5 = {_one_place(celsius * 9 / 5)}.",
            f"{_one_place(celsius * 9 / 5)} + 32 = {_one_place(fahrenheit)}.",
            f"To one decimal place the temperature is {_one_place(fahrenheit)} degrees Fahrenheit.",
        ),
        tolerance=0.05,
    )


def _kmh_to_ms(rng: random.Random) -> Problem:
    kmh = rng.randint(5, 250)
    metres = kmh * 1000
    speed = Fraction(metres, 3600)
    # The denominator of kmh * 5 / 18 divides 9, so there is never a tie to break when rounding.
    rounded = round(speed, 2)
    return Problem(
        prompt=(
            f"A vehicle travels at {kmh} km/h. What is this speed in metres per second? Give the "
            "answer to 2 decimal places."
        ),
        answer=f"{float(rounded):.2f}",
        work=(
            f"The speed is {kmh} km/h.",
            f"{kmh} km x 1000 = {metres} metres per hour.",
            "One hour is 60 x 60 = 3600 seconds.",
            f"{metres} / 3600 = {float(speed):.4f} to four decimal places.",
            f"Rounded to two decimal places the speed is {float(rounded):.2f} m/s.",
        ),
        tolerance=0.005,
    )


def _measure(amount: Fraction, unit: str) -> str:
    return f"{amount} {unit}{'s' if amount > 1 else ''}"


def _recipe_scaling(rng: random.Random) -> Problem:
    amount = Fraction(rng.choice(["1/4", "1/3", "1/2", "2/3", "3/4", "1", "5/4", "3/2", "2"]))
    unit, ingredient = rng.choice(
        [
            ("cup", "flour"),
            ("cup", "sugar"),
            ("cup", "milk"),
            ("teaspoon", "salt"),
            ("tablespoon", "butter"),
            ("teaspoon", "baking powder"),
        ]
    )
    serves, wanted = rng.sample([2, 3, 4, 5, 6, 8, 10, 12], 2)
    each = amount / serves
    raw = f"{each.numerator * wanted}/{each.denominator}"
    scaled = each * wanted
    reduced = (
        f"{raw} is already in lowest terms."
        if each.numerator * wanted == scaled.numerator
        else f"{raw} reduces to {scaled}."
    )
    return Problem(
        prompt=(
            f"A recipe for {serves} servings uses {_measure(amount, unit)} of {ingredient}. "
            f"How many {unit}s of {ingredient} are needed for {wanted} servings? Give the amount "
            "as a fraction a/b in lowest terms (improper if it is more than 1, never a mixed "
            "number), or as a whole number if it is one."
        ),
        answer=str(scaled),
        work=(
            f"The recipe uses {_measure(amount, unit)} for {serves} servings.",
            f"({amount}) / {serves} = {_measure(each, unit)} per serving.",
            f"({each}) x {wanted} = {raw}.",
            reduced,
            f"The scaled amount is {_measure(scaled, unit)}.",
        ),
    )


def _metric_length(rng: random.Random) -> Problem:
    km, metres = rng.randint(1, 50), rng.randint(1, 999)
    total = km * 1000 + metres
    what = rng.choice(["A hiking trail", "A cycle route", "A river walk", "A fun run course"])
    return Problem(
        prompt=(
            f"{what} is {km} km {metres} m long. How long is it in metres? Give a whole number "
            "of metres."
        ),
        answer=str(total),
        work=(
            f"The kilometres are {km}.",
            f"The extra metres are {metres}.",
            f"{km} km x 1000 = {km * 1000} metres.",
            f"{km * 1000} + {metres} = {total}.",
            f"The length is {total} metres.",
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
    define(
        "celsius-to-fahrenheit",
        "Celsius to Fahrenheit",
        "units and measures",
        "decimal",
        [
            "Identify the temperature in degrees Celsius.",
            "Multiply the Celsius temperature by 9.",
            "Divide the result by 5.",
            "Add 32.",
            "Round to one decimal place and state the temperature in degrees Fahrenheit.",
        ],
        _celsius_to_fahrenheit,
    ),
    define(
        "kmh-to-ms",
        "Kilometres per hour to metres per second",
        "units and measures",
        "decimal",
        [
            "Identify the speed in kilometres per hour.",
            "Multiply by 1000 to get metres per hour.",
            "Write one hour as 3600 seconds.",
            "Divide the metres per hour by 3600.",
            "Round to two decimal places and state the speed in metres per second.",
        ],
        _kmh_to_ms,
    ),
    define(
        "recipe-scaling",
        "Scale a recipe amount",
        "units and measures",
        "fraction",
        [
            "Identify the ingredient amount and the number of servings it makes.",
            "Divide the amount by the original servings to get the amount per serving.",
            "Multiply the amount per serving by the new number of servings.",
            "Reduce the fraction to lowest terms.",
            "State the scaled amount.",
        ],
        _recipe_scaling,
    ),
    define(
        "metric-length",
        "Kilometres and metres to metres",
        "units and measures",
        "integer",
        [
            "Identify the kilometres.",
            "Identify the extra metres.",
            "Multiply the kilometres by 1000.",
            "Add the extra metres.",
            "State the total length in metres.",
        ],
        _metric_length,
    ),
)
