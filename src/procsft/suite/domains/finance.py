"""Built-in skills: arithmetic and finance."""

from __future__ import annotations

import random
from decimal import ROUND_HALF_UP, Decimal

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


def _plain_decimal(value: Decimal) -> str:
    # normalize() drops trailing zeros; the "f" format stops it from using exponent notation.
    return f"{value.normalize():f}"


def _dollars(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _compound_interest(rng: random.Random) -> Problem:
    account = rng.choice(["savings account", "term deposit", "college fund", "bond account"])
    while True:
        principal = rng.randrange(500, 10_000, 100)
        rate = rng.choice([2, 3, 4, 5, 6, 8, 10])
        years = rng.randint(2, 5)
        # Decimal arithmetic is exact here: every power of 1 + rate/100 has few digits.
        factor = 1 + Decimal(rate) / 100
        power = factor**years
        balance = principal * power
        # A balance of exactly half a cent over would make the rounding ambiguous; redraw.
        if (balance * 100) % 1 != Decimal("0.5"):
            break
    rounded = balance.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return Problem(
        prompt=(
            f"A {account} is opened with ${principal} and earns {rate}% interest per year, "
            f"compounded annually. What is the balance after {years} years? Give the amount in "
            "dollars to 2 decimal places."
        ),
        answer=f"{rounded:.2f}",
        work=(
            f"The principal is {principal}, the rate is {rate}% and the time is {years} years.",
            f"The growth factor is 1 + {rate}/100 = {_plain_decimal(factor)}.",
            f"{_plain_decimal(factor)}^{years} = {_plain_decimal(power)}.",
            f"{principal} x {_plain_decimal(power)} = {_plain_decimal(balance)}.",
            f"Rounded to the nearest cent the balance is ${rounded:.2f}.",
        ),
        tolerance=0.005,
    )


def _discount_price(rng: random.Random) -> Problem:
    item = rng.choice(["jacket", "lamp", "backpack", "pair of boots", "blender", "tent"])
    # Prices in steps of 20 cents and discounts in steps of 5% keep every cent amount exact.
    price = rng.randrange(3000, 30_000, 20)
    percent = rng.choice([10, 15, 20, 25, 30, 35, 40, 50])
    coupon = rng.choice([0, 0, 500, 1000])
    discount = price * percent // 100
    sale = price - discount
    final = sale - coupon
    with_coupon = (
        f", and a ${coupon // 100} coupon is then taken off the sale price" if coupon else ""
    )
    coupon_step = (
        f"{_dollars(sale)} - {_dollars(coupon)} = {_dollars(final)}."
        if coupon
        else f"There is no coupon, so the price stays {_dollars(sale)}."
    )
    return Problem(
        prompt=(
            f"A {item} costs ${_dollars(price)}. It is on sale for {percent}% off{with_coupon}. "
            "What is the final price? Give the amount in dollars to 2 decimal places."
        ),
        answer=_dollars(final),
        work=(
            f"The original price is {_dollars(price)} and the discount is {percent}%.",
            f"{_dollars(price)} x {percent} / 100 = {_dollars(discount)}.",
            f"{_dollars(price)} - {_dollars(discount)} = {_dollars(sale)}.",
            coupon_step,
            f"Rounded to two decimal places the final price is ${_dollars(final)}.",
        ),
        tolerance=0.005,
    )


def _unit_price(rng: random.Random) -> Problem:
    item, unit = rng.choice(
        [
            ("granola bars", "bar"),
            ("batteries", "battery"),
            ("yogurt cups", "cup"),
            ("pens", "pen"),
            ("soap bars", "bar"),
            ("juice boxes", "box"),
        ]
    )
    count_a, count_b = rng.sample([4, 5, 6, 8, 10, 12, 15, 16, 20, 24], 2)
    each_a, each_b = rng.sample(range(15, 120), 2)
    price_a, price_b = count_a * each_a, count_b * each_b
    cheaper = "A" if each_a < each_b else "B"
    return Problem(
        prompt=(
            f"Pack A has {count_a} {item} for ${_dollars(price_a)}. Pack B has {count_b} {item} "
            f"for ${_dollars(price_b)}. Which pack is cheaper per {unit}? Answer with the single "
            "letter A or B."
        ),
        answer=cheaper,
        work=(
            f"Pack A costs {price_a} cents for {count_a} {item}.",
            f"{price_a} / {count_a} = {each_a} cents per {unit}.",
            f"Pack B costs {price_b} cents for {count_b} {item}.",
            f"{price_b} / {count_b} = {each_b} cents per {unit}.",
            f"{min(each_a, each_b)} cents is less than {max(each_a, each_b)} cents, so pack "
            f"{cheaper} is cheaper.",
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
    define(
        "compound-interest",
        "Compound interest",
        "arithmetic and finance",
        "decimal",
        [
            "Identify the principal, the annual rate and the number of years.",
            "Write the growth factor as 1 plus the rate divided by 100.",
            "Raise the growth factor to the power of the number of years.",
            "Multiply the principal by that power.",
            "Round to the nearest cent and state the balance.",
        ],
        _compound_interest,
    ),
    define(
        "discount-price",
        "Price after a discount and coupon",
        "arithmetic and finance",
        "decimal",
        [
            "Identify the original price and the discount percent.",
            "Multiply the price by the discount percent and divide by 100.",
            "Subtract the discount from the original price to get the sale price.",
            "Subtract any flat coupon from the sale price.",
            "Round to two decimal places and state the final price.",
        ],
        _discount_price,
    ),
    define(
        "unit-price",
        "Cheaper pack by unit price",
        "arithmetic and finance",
        "string",
        [
            "Write pack A's price in cents and its number of units.",
            "Divide pack A's price by its units to get its cost per unit.",
            "Write pack B's price in cents and its number of units.",
            "Divide pack B's price by its units to get its cost per unit.",
            "Compare the two unit costs and state the cheaper pack.",
        ],
        _unit_price,
    ),
)
