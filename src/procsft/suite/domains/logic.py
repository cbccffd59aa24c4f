"""Built-in skills: logic and sets."""

from __future__ import annotations

import random

from procsft.suite.skill import Problem, SkillSpec, define


def _two_sets(rng: random.Random, min_common: int) -> tuple[list[int], list[int]]:
    """Return two shuffled sets of 1..30, each with at least one element the other lacks."""
    common, only_a, only_b = rng.randint(min_common, 3), rng.randint(1, 4), rng.randint(1, 4)
    pool = rng.sample(range(1, 31), common + only_a + only_b)
    a, b = pool[: common + only_a], pool[:common] + pool[common + only_a :]
    rng.shuffle(a)
    rng.shuffle(b)
    return a, b


def _show(values: list[int]) -> str:
    return "{" + ", ".join(map(str, values)) + "}"


def _set_intersection(rng: random.Random) -> Problem:
    a, b = _two_sets(rng, min_common=1)
    kept = [x for x in a if x in b]
    listed = ", ".join(map(str, sorted(kept)))
    return Problem(
        prompt=(
            f"Let A = {_show(a)} and B = {_show(b)}. List the elements that are in both A and B "
            "in ascending order, separated by commas."
        ),
        answer=listed,
        work=(
            f"A has the elements {', '.join(map(str, a))}.",
            f"B has the elements {', '.join(map(str, b))}.",
            "; ".join(f"{x} is {'' if x in b else 'not '}in B" for x in a) + ".",
            f"The elements in both are {', '.join(map(str, kept))}.",
            f"In ascending order: {listed}.",
        ),
    )


def _set_union_size(rng: random.Random) -> Problem:
    a, b = _two_sets(rng, min_common=0)
    new = [x for x in b if x not in a]
    size = len(a) + len(new)
    return Problem(
        prompt=(
            f"Let A = {_show(a)} and B = {_show(b)}. How many elements does the union of A and B "
            "have? Give a whole number."
        ),
        answer=str(size),
        work=(
            f"A has the elements {', '.join(map(str, a))}.",
            f"The elements of B that are not in A are {', '.join(map(str, new))}.",
            f"A has {len(a)} elements.",
            f"B adds {len(new)} new element{'s' * (len(new) > 1)}.",
            f"The union has {len(a)} + {len(new)} = {size} elements.",
        ),
    )


_LIKES = (
    ("tea", "coffee"),
    ("cats", "dogs"),
    ("football", "tennis"),
    ("jazz", "rock music"),
    ("apples", "oranges"),
)


def _inclusion_exclusion(rng: random.Random) -> Problem:
    first, second = rng.choice(_LIKES)
    both = rng.randint(2, 15)
    n_first, n_second = both + rng.randint(1, 30), both + rng.randint(1, 30)
    either = n_first + n_second - both
    return Problem(
        prompt=(
            f"In a survey, {n_first} people like {first}, {n_second} like {second} and {both} "
            f"like both. How many people like {first} or {second} (at least one of the two)? "
            "Give a whole number."
        ),
        answer=str(either),
        work=(
            f"{n_first} people like {first}.",
            f"{n_second} people like {second}.",
            f"{both} people like both.",
            f"{n_first} + {n_second} = {n_first + n_second}.",
            f"Subtracting the {both} counted twice: {n_first + n_second} - {both} = {either}.",
        ),
    )


def _boolean_expression(rng: random.Random) -> Problem:
    names = rng.sample(["p", "q", "r"], 3)
    values = [rng.random() < 0.5 for _ in names]
    negated = [rng.random() < 0.5 for _ in names]
    inner_op, outer_op = rng.choice(["and", "or"]), rng.choice(["and", "or"])
    # The first two operands are bracketed; the third sits on a random side of the brackets.
    lone_first = rng.random() < 0.5

    def render(items: list[object]) -> str:
        inner = f"({items[0]} {inner_op} {items[1]})"
        return f"{items[2]} {outer_op} {inner}" if lone_first else f"{inner} {outer_op} {items[2]}"

    def combine(op: str, x: bool, y: bool) -> bool:
        return (x and y) if op == "and" else (x or y)

    nots = ["not " * n for n in negated]
    literals = [n + name for n, name in zip(nots, names, strict=True)]
    plain = [v != n for v, n in zip(values, negated, strict=True)]
    inner_value = combine(inner_op, plain[0], plain[1])
    result = combine(outer_op, inner_value, plain[2])
    left, right = (plain[2], inner_value) if lone_first else (inner_value, plain[2])
    given = ", ".join(f"{n} = {v}" for n, v in sorted(zip(names, values, strict=True)))
    return Problem(
        prompt=(
            f'Given {given}, evaluate the expression "{render(literals)}". '
            'Answer "true" or "false".'
        ),
        answer=str(result).lower(),
        work=(
            f"The values are {given}.",
            f"Substituting gives {render([f'{n}{v}' for n, v in zip(nots, values, strict=True)])}.",
            f"Evaluating each not gives {render(plain)}.",
            f"In the brackets, {plain[0]} {inner_op} {plain[1]} is {inner_value}, leaving "
            f"{left} {outer_op} {right}.",
            f"{left} {outer_op} {right} is {result}, so the answer is {str(result).lower()}.",
        ),
    )


def _only_in_first(rng: random.Random) -> Problem:
    a, b = _two_sets(rng, min_common=0)
    kept = [x for x in a if x not in b]
    listed = ", ".join(map(str, sorted(kept)))
    return Problem(
        prompt=(
            f"Let A = {_show(a)} and B = {_show(b)}. List the elements of A that are not in B "
            "in ascending order, separated by commas."
        ),
        answer=listed,
        work=(
            f"A has the elements {', '.join(map(str, a))}.",
            f"B has the elements {', '.join(map(str, b))}.",
            "; ".join(f"{x} is {'' if x in b else 'not '}in B" for x in a) + ".",
            f"Crossing out those in B leaves {', '.join(map(str, kept))}.",
            f"In ascending order: {listed}.",
        ),
    )


SKILLS: tuple[SkillSpec, ...] = (
    define(
        "set-intersection",
        "Intersection of two sets",
        "logic and sets",
        "list",
        [
            "List the elements of the first set.",
            "List the elements of the second set.",
            "Check each element of the first set for membership in the second.",
            "Keep the elements that are in both sets.",
            "Sort the kept elements in ascending order and state them.",
        ],
        _set_intersection,
    ),
    define(
        "set-union-size",
        "Size of the union of two sets",
        "logic and sets",
        "integer",
        [
            "List the elements of the first set.",
            "List the elements of the second set that are not in the first.",
            "Count the elements of the first set.",
            "Count the new elements from the second set.",
            "Add the two counts.",
        ],
        _set_union_size,
    ),
    define(
        "inclusion-exclusion",
        "Inclusion-exclusion for two groups",
        "logic and sets",
        "integer",
        [
            "Note how many are in the first group.",
            "Note how many are in the second group.",
            "Note how many are in both groups.",
            "Add the sizes of the two groups.",
            "Subtract the number in both, since they were counted twice.",
        ],
        _inclusion_exclusion,
    ),
    define(
        "boolean-expression",
        "Evaluating a boolean expression",
        "logic and sets",
        "string",
        [
            "Write down the value of each variable.",
            "Substitute the values into the expression.",
            "Evaluate each not.",
            "Evaluate the part in brackets.",
            "Evaluate the remaining operator and state the result.",
        ],
        _boolean_expression,
    ),
    define(
        "only-in-first",
        "Elements only in the first set",
        "logic and sets",
        "list",
        [
            "List the elements of the first set.",
            "List the elements of the second set.",
            "Check each element of the first set for membership in the second.",
            "Keep the elements of the first set that are not in the second.",
            "Sort the kept elements in ascending order and state them.",
        ],
        _only_in_first,
    ),
)
