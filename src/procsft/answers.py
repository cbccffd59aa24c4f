"""Answer types and their normalisers: how a stated answer is compared with a reference.

One place decides what "the same answer" means, for the suite's worked solutions, the
`ANSWER:`-line extractor and data validation alike.
"""

from __future__ import annotations

import datetime as dt
import re
from fractions import Fraction
from typing import Literal

AnswerType = Literal["integer", "decimal", "fraction", "date", "string", "list"]

NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d+)?|\.\d+)")
FRACTION = re.compile(r"(?:([-+]?\d+)\s+)?([-+]?\d+)\s*/\s*([-+]?\d+)")
DATE_FORMATS = ("%Y-%m-%d", "%B %d, %Y", "%d %B %Y", "%b %d, %Y", "%d %b %Y", "%Y/%m/%d")


def _plain(text: str) -> str:
    # Unicode minus and thousands separators ("1,200") are formatting, not content.
    text = text.replace("−", "-")
    return re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)


def last_number(text: str) -> float | None:
    """Return the last number in `text` (GSM8K-style), or None."""
    numbers = NUMBER.findall(_plain(text))
    return float(numbers[-1]) if numbers else None


def parse_fraction(text: str) -> Fraction | None:
    """Return the last `a/b` in `text` as a reduced Fraction, else its last number, else None."""
    matches = FRACTION.findall(_plain(text))
    if matches:
        whole, numerator, denominator = matches[-1]
        if not int(denominator):
            return None
        value = Fraction(int(numerator), int(denominator))
        if whole:  # a mixed number: "1 1/2" is 3/2, "-1 1/2" is -3/2
            return int(whole) + (value if not whole.startswith("-") else -value)
        return value
    number = NUMBER.findall(_plain(text))
    return Fraction(number[-1]) if number else None


def parse_date(text: str) -> dt.date | None:
    """Return the date in `text` in ISO or a common written form, or None."""
    iso = re.search(r"\d{4}-\d{2}-\d{2}", text)
    candidates = [iso.group(0)] if iso else []
    candidates.append(re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", text.strip().rstrip(".")))
    for candidate in candidates:
        for fmt in DATE_FORMATS:
            try:
                return dt.datetime.strptime(candidate, fmt).date()
            except ValueError:
                continue
    return None


def normalise_string(text: str) -> str:
    """Return `text` case-folded with everything but letters and digits (any script) removed."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def split_list(text: str) -> list[str]:
    """Return the items of a list answer: brackets dropped, split on commas or semicolons."""
    inner = text.strip().strip(".").strip("[](){}")
    return [item.strip() for item in re.split(r"[,;]", inner) if item.strip()]


def _items_match(got: str, want: str) -> bool:
    want_number = last_number(want)
    if want_number is not None and NUMBER.fullmatch(_plain(want).strip()):
        return last_number(got) == want_number
    return normalise_string(got) == normalise_string(want)


def answers_match(got: str, reference: str, answer_type: AnswerType, tolerance: float = 0) -> bool:
    """Return whether the stated answer `got` equals `reference` under `answer_type`."""
    if answer_type == "integer":
        a, b = last_number(got), last_number(reference)
        return a is not None and a == b
    if answer_type == "decimal":
        a, b = last_number(got), last_number(reference)
        return a is not None and b is not None and abs(a - b) <= tolerance + 1e-9
    if answer_type == "fraction":
        a, b = parse_fraction(got), parse_fraction(reference)
        return a is not None and a == b
    if answer_type == "date":
        a = parse_date(got)
        return a is not None and a == parse_date(reference)
    if answer_type == "list":
        a, b = split_list(got), split_list(reference)
        return len(a) == len(b) and all(_items_match(x, y) for x, y in zip(a, b, strict=True))
    return normalise_string(got) == normalise_string(reference)
