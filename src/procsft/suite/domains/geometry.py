"""Built-in skills: geometry."""

from __future__ import annotations

import math
import random
from decimal import Decimal

from procsft.suite.skill import Problem, SkillSpec, define

UNITS = ("mm", "cm", "m")


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


def _triangle_area(rng: random.Random) -> Problem:
    base, height = rng.randint(3, 40), rng.randint(2, 30)
    height += (base * height) % 2  # an even product keeps the area a whole number
    area, unit = base * height // 2, rng.choice(UNITS)
    return Problem(
        prompt=(
            f"Find the area of a triangle with base {base} {unit} and height {height} {unit}, "
            f"in square {unit} (a whole number)."
        ),
        answer=str(area),
        work=(
            f"The base is {base} {unit}.",
            f"The height is {height} {unit}.",
            f"{base} x {height} = {base * height}.",
            f"{base * height} / 2 = {area}.",
            f"The area is {area} square {unit}.",
        ),
    )


def _exact(units: int, places: int) -> str:
    """Return `units` / 10**`places` written exactly, without trailing zeros."""
    return f"{Decimal(units).scaleb(-places).normalize():f}"


def _circle_area(rng: random.Random) -> Problem:
    tenths = rng.randint(10, 150)
    while 314 * tenths * tenths % 100 == 50:  # no exact halves, so rounding is unambiguous
        tenths = rng.randint(10, 150)
    radius, square, exact = (_exact(tenths, 1), _exact(tenths**2, 2), _exact(314 * tenths**2, 4))
    area, unit = f"{Decimal(exact).quantize(Decimal('0.01')):f}", rng.choice(UNITS)
    return Problem(
        prompt=(
            f"Find the area of a circle of radius {radius} {unit} using pi = 3.14, in square "
            f"{unit} rounded to 2 decimal places."
        ),
        answer=area,
        work=(
            f"The radius is {radius} {unit}.",
            f"{radius} x {radius} = {square}.",
            f"3.14 x {square} = {exact}.",
            f"Rounded to 2 decimal places this is {area}.",
            f"The area is {area} square {unit}.",
        ),
        tolerance=0.005,
    )


def _hypotenuse(rng: random.Random) -> Problem:
    triple = rng.choice([(3, 4), (5, 12), (8, 15), (7, 24), (20, 21), (9, 40)])
    scale = rng.randint(1, 8)
    a, b = (scale * leg for leg in rng.sample(triple, 2))
    total = a * a + b * b
    c, unit = math.isqrt(total), rng.choice(UNITS)
    return Problem(
        prompt=(
            f"A right triangle has legs of {a} {unit} and {b} {unit}. How long is its "
            f"hypotenuse, in whole {unit}?"
        ),
        answer=str(c),
        work=(
            f"The legs are {a} {unit} and {b} {unit}.",
            f"{a} x {a} = {a * a} and {b} x {b} = {b * b}.",
            f"{a * a} + {b * b} = {total}.",
            f"The square root of {total} is {c}.",
            f"The hypotenuse is {c} {unit}.",
        ),
    )


def _third_angle(rng: random.Random) -> Problem:
    first = rng.randint(20, 130)
    second = rng.randint(10, 170 - first)
    total = first + second
    return Problem(
        prompt=(
            f"Two angles of a triangle are {first} degrees and {second} degrees. What is the "
            "third angle, in whole degrees?"
        ),
        answer=str(180 - total),
        work=(
            f"The first angle is {first} degrees.",
            f"The second angle is {second} degrees.",
            f"{first} + {second} = {total}.",
            f"180 - {total} = {180 - total}.",
            f"The third angle is {180 - total} degrees.",
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
    define(
        "triangle-area",
        "Area of a triangle from base and height",
        "geometry",
        "integer",
        [
            "Identify the base.",
            "Identify the height.",
            "Multiply the base by the height.",
            "Divide the product by 2.",
            "State the area with its square unit.",
        ],
        _triangle_area,
    ),
    define(
        "circle-area",
        "Area of a circle from its radius",
        "geometry",
        "decimal",
        [
            "Identify the radius.",
            "Multiply the radius by itself.",
            "Multiply the square by pi, using the stated value.",
            "Round the product to the requested decimal places.",
            "State the area with its square unit.",
        ],
        _circle_area,
    ),
    define(
        "hypotenuse",
        "Hypotenuse of a right triangle by Pythagoras",
        "geometry",
        "integer",
        [
            "Identify the two legs.",
            "Square each leg.",
            "Add the two squares.",
            "Take the square root of the sum.",
            "State the hypotenuse with its unit.",
        ],
        _hypotenuse,
    ),
    define(
        "third-angle",
        "Third angle of a triangle",
        "geometry",
        "integer",
        [
            "Identify the first angle.",
            "Identify the second angle.",
            "Add the two angles.",
            "Subtract the sum from 180 degrees.",
            "State the third angle in degrees.",
        ],
        _third_angle,
    ),
)
