"""Built-in skills: algorithms by hand."""

from __future__ import annotations

import math
import random
from fractions import Fraction

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


def _binary_to_decimal(rng: random.Random) -> Problem:
    value = rng.randint(5, 1023)
    bits = f"{value:b}"
    powers = [1 << i for i, bit in enumerate(reversed(bits)) if bit == "1"]
    places = ", ".join(f"{bit} at position {i}" for i, bit in enumerate(reversed(bits)))
    return Problem(
        prompt=f"Convert the binary number {bits} to decimal. Give a whole number.",
        answer=str(value),
        work=(
            f"The binary digits are {bits}.",
            f"From the right, the digits are {places}.",
            f"The positions holding a 1 give the powers of 2: {', '.join(map(str, powers))}.",
            f"{' + '.join(map(str, powers))} = {value}.",
            f"The decimal value is {value}.",
        ),
    )


def _decimal_to_binary(rng: random.Random) -> Problem:
    value = rng.randint(5, 500)
    divisions, remainders, x = [], [], value
    while x:
        divisions.append(f"{x} / 2 = {x // 2} remainder {x % 2}")
        remainders.append(str(x % 2))
        x //= 2
    bits = "".join(reversed(remainders))
    return Problem(
        prompt=(
            f"Using repeated division by 2, write {value} in binary digits, with no prefix and "
            "no leading zeros."
        ),
        answer=bits,
        work=(
            f"The decimal number is {value}.",
            f"Divide: {divisions[0]}.",
            f"Repeat on each quotient until it is 0: {'; '.join(divisions[1:])}.",
            f"The remainders from last to first are {', '.join(reversed(remainders))}.",
            f"The binary number is {bits}.",
        ),
    )


def _prime_factorisation(rng: random.Random) -> Problem:
    primes = (2, 3, 5, 7, 11, 13)
    factors = sorted(rng.choice(primes[:4] + primes) for _ in range(rng.randint(2, 5)))
    value = math.prod(factors)
    trials, x = [], value
    for p in primes:
        if x == 1:
            break
        found = []
        while x % p == 0:
            found.append(f"{x} / {p} = {x // p}")
            x //= p
        trials.append("; ".join(found) or f"{p} does not divide {x}")
    answer = ", ".join(map(str, factors))
    return Problem(
        prompt=(
            f"List the prime factors of {value}, each as often as it divides, in ascending order, "
            "separated by commas."
        ),
        answer=answer,
        work=(
            f"Start with {value} and the smallest prime, 2.",
            f"Divide by 2 while it divides evenly: {trials[0]}.",
            f"Move through the next primes: {'; '.join(trials[1:]) or 'none are needed'}.",
            "The quotient is now 1, so stop.",
            f"The prime factors in ascending order are {answer}.",
        ),
    )


def _fraction_addition(rng: random.Random) -> Problem:
    while True:
        b, d = rng.randint(2, 12), rng.randint(2, 12)
        a, c = rng.randint(1, b - 1), rng.randint(1, d - 1)
        total = Fraction(a, b) + Fraction(c, d)
        if math.gcd(a, b) == math.gcd(c, d) == 1 and total.denominator > 1:
            break
    lcd = math.lcm(b, d)
    top = a * lcd // b + c * lcd // d
    common = math.gcd(top, lcd)
    return Problem(
        prompt=(
            f"Add {a}/{b} + {c}/{d} and give the sum as a fraction in lowest terms, improper "
            "rather than mixed."
        ),
        answer=f"{total.numerator}/{total.denominator}",
        work=(
            f"The least common denominator of {b} and {d} is {lcd}.",
            f"{a}/{b} = {a * lcd // b}/{lcd} and {c}/{d} = {c * lcd // d}/{lcd}.",
            f"{a * lcd // b} + {c * lcd // d} = {top}, giving {top}/{lcd}.",
            f"The greatest common divisor of {top} and {lcd} is {common}, so divide both by it.",
            f"The sum is {total.numerator}/{total.denominator}.",
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
    define(
        "binary-to-decimal",
        "Binary to decimal by place values",
        "algorithms by hand",
        "integer",
        [
            "Write the binary digits.",
            "Number the positions from the right, starting at 0.",
            "Write the power of 2 for each position that holds a 1.",
            "Add those powers of 2.",
            "State the sum as the decimal value.",
        ],
        _binary_to_decimal,
    ),
    define(
        "decimal-to-binary",
        "Decimal to binary by repeated division",
        "algorithms by hand",
        "string",
        [
            "Write the decimal number.",
            "Divide it by 2 and note the quotient and the remainder.",
            "Repeat step 2 on each quotient until the quotient is 0.",
            "Read the remainders from last to first.",
            "State those digits as the binary number.",
        ],
        _decimal_to_binary,
    ),
    define(
        "prime-factorisation",
        "Prime factorisation by trial division",
        "algorithms by hand",
        "list",
        [
            "Start with the number and the smallest prime, 2.",
            "Divide by the prime as long as it divides evenly, recording it each time.",
            "Move to the next prime and repeat step 2.",
            "Stop when the quotient reaches 1.",
            "List the recorded primes in ascending order.",
        ],
        _prime_factorisation,
    ),
    define(
        "fraction-addition",
        "Adding two fractions",
        "algorithms by hand",
        "fraction",
        [
            "Find the least common denominator.",
            "Rewrite each fraction over the common denominator.",
            "Add the numerators over the common denominator.",
            "Divide the numerator and denominator by their greatest common divisor.",
            "State the reduced fraction.",
        ],
        _fraction_addition,
    ),
)
