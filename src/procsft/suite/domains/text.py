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


# Palindromes without punctuation, so ignoring spaces and case is the whole normalisation.
_PALINDROMES = (
    "Step on no pets",
    "Never odd or even",
    "Was it a car or a cat I saw",
    "No lemon no melon",
    "Top spot",
    "Race car",
    "Taco cat",
    "Nurses run",
    "Borrow or rob",
    "Live not on evil",
    "A Santa at NASA",
    "Too hot to hoot",
    "Senile felines",
    "Madam",
    "Level",
    "Rotor",
    "Kayak",
    "Refer",
    "Stats",
    "My gym",
    "Pull up",
    "Wet stew",
)


def _palindrome_check(rng: random.Random) -> Problem:
    if rng.random() < 0.5:
        text = rng.choice(_PALINDROMES)
    else:
        text = " ".join(rng.sample(_WORDS, rng.randint(1, 2))).capitalize()
    joined = text.replace(" ", "")
    lower = joined.lower()
    backwards = lower[::-1]
    mismatch = next((i for i, c in enumerate(lower) if c != backwards[i]), None)
    verdict = "yes" if mismatch is None else "no"
    if mismatch is None:
        compared = f"{backwards} is the same as {lower}, letter for letter."
    else:
        compared = (
            f"{backwards} differs from {lower} at position {mismatch + 1} "
            f"({backwards[mismatch]} against {lower[mismatch]})."
        )
    return Problem(
        prompt=(
            f'Is "{text}" a palindrome when spaces and upper/lower case are ignored? '
            'Answer "yes" or "no".'
        ),
        answer=verdict,
        work=(
            f"Without spaces the text is {joined}.",
            f"In lower case it is {lower}.",
            f"Reversed it is {backwards}.",
            compared,
            f"So the answer is {verdict}.",
        ),
    )


def _reverse_words(rng: random.Random) -> Problem:
    words = rng.sample(_WORDS, rng.randint(3, 5))
    backwards = words[::-1]
    result = " ".join(backwards)
    return Problem(
        prompt=(
            f'Reverse the order of the words in "{" ".join(words)}". Keep each word as it is and '
            "separate the words with single spaces."
        ),
        answer=result,
        work=(
            f"The words are {', '.join(words)}.",
            "Numbered: " + ", ".join(f"{i} {w}" for i, w in enumerate(words, start=1)) + ".",
            f"From number {len(words)} down to 1 they are {', '.join(backwards)}.",
            f'Joined with single spaces: "{result}".',
            f'The reversed phrase is "{result}".',
        ),
    )


def _run_length_encoding(rng: random.Random) -> Problem:
    letters, runs = "abcdexyz", []
    for _ in range(rng.randint(3, 6)):
        letter = rng.choice([c for c in letters if not runs or c != runs[-1][0]])
        runs.append(letter * rng.randint(1, 5))
    text = "".join(runs)
    pieces = [f"{run[0]}{len(run)}" for run in runs]
    code = "".join(pieces)
    return Problem(
        prompt=(
            f'Run-length encode "{text}": replace each run of one repeated letter by the letter '
            'followed by the length of the run (so "aab" becomes "a2b1"). Write the code without '
            "spaces."
        ),
        answer=code,
        work=(
            f"Reading left to right, the string is {' '.join(text)}.",
            f"Its runs of one letter are {', '.join(runs)}.",
            f"Their lengths are {', '.join(str(len(run)) for run in runs)}.",
            f"Each run as letter and length: {', '.join(pieces)}.",
            f"Joined in order, the code is {code}.",
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
    define(
        "palindrome-check",
        "Palindrome check",
        "strings and text",
        "string",
        [
            "Remove the spaces from the text.",
            "Turn every letter into lower case.",
            "Write the letters in reverse order.",
            "Compare the reversed letters with the original letters one by one.",
            "Answer yes if they are all the same and no otherwise.",
        ],
        _palindrome_check,
    ),
    define(
        "reverse-words",
        "Reversing the words of a phrase",
        "strings and text",
        "string",
        [
            "Split the phrase into words at the spaces.",
            "Number the words from first to last.",
            "Take the words from the last number down to the first.",
            "Join the taken words with single spaces.",
            "State the reversed phrase.",
        ],
        _reverse_words,
    ),
    define(
        "run-length-encoding",
        "Run-length encoding",
        "strings and text",
        "string",
        [
            "Read the string from left to right.",
            "Split it into runs of one repeated letter.",
            "Count the length of each run.",
            "Write each run as its letter followed by its length.",
            "Join the pieces in order and state the code.",
        ],
        _run_length_encoding,
    ),
)
