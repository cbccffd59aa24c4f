"""Built-in skills: strings and text."""

from __future__ import annotations

import random

from procsft.suite.skill import Problem, SkillSpec, define

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


SKILLS: tuple[SkillSpec, ...] = (
    define(
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
    define(
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
