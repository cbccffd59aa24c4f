"""Holdout leakage: is a corpus task equal or near-equal to a holdout task?

Texts are normalised (case, whitespace, punctuation and the formatting of numbers) and compared
three ways. Equal normalised text (by hash) is a leak. Generated tasks of one skill share a
template and differ in their values, so a high word-3-gram overlap alone does not make two
tasks the same; it does when the overlap is very high (≥ `threshold`, a copy with a word or
two changed), or when both texts carry the same numbers and overlap by at least half (a
paraphrase of the same problem).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

DEFAULT_THRESHOLD = 0.9
SAME_NUMBERS_THRESHOLD = 0.5
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def _canonical_number(match: re.Match[str]) -> str:
    text = match.group(0).replace(",", "")
    return text.rstrip("0").rstrip(".") if "." in text else text.lstrip("0") or "0"


def normalise(text: str) -> str:
    """Return `text` case-folded, numbers canonical (`1,200.0` → `1200`), punctuation removed."""
    text = _NUMBER.sub(_canonical_number, text.casefold())
    tokens = (token.strip(".") for token in re.findall(r"[0-9a-z.]+", text))
    return " ".join(token for token in tokens if token)


def text_hash(text: str) -> str:
    return hashlib.sha256(normalise(text).encode()).hexdigest()


@dataclass(frozen=True)
class _Text:
    grams: frozenset[tuple[str, ...]]
    numbers: Counter[str]

    @classmethod
    def of(cls, text: str) -> _Text:
        words = normalise(text).split()
        grams = zip(words, words[1:], words[2:], strict=False) if len(words) >= 3 else [words]
        numbers = Counter(w for w in words if w[0].isdigit())
        return cls(frozenset(tuple(g) for g in grams), numbers)


@dataclass(frozen=True)
class Leak:
    corpus_id: str
    holdout_id: str
    similarity: float
    """Word-3-gram Jaccard overlap (1.0 for equal normalised text)."""
    reason: str


class LeakIndex:
    """Holdout texts indexed by hash and by 3-gram, to find the holdout task a text copies."""

    def __init__(self, holdout: Sequence[tuple[str, str]], threshold: float = DEFAULT_THRESHOLD):
        self.threshold = threshold
        self.by_hash = {text_hash(text): task_id for task_id, text in holdout}
        self.texts = [(task_id, _Text.of(text)) for task_id, text in holdout]
        self.postings: dict[tuple[str, ...], list[int]] = defaultdict(list)
        for i, (_, parsed) in enumerate(self.texts):
            for gram in parsed.grams:
                self.postings[gram].append(i)

    def find(self, corpus_id: str, text: str) -> Leak | None:
        """Return the leak of `text` into the holdout, or None when it is a different task."""
        exact = self.by_hash.get(text_hash(text))
        if exact is not None:
            return Leak(corpus_id, exact, 1.0, "equal after normalisation")
        parsed = _Text.of(text)
        shared: Counter[int] = Counter()
        for gram in parsed.grams:
            shared.update(self.postings.get(gram, ()))
        worst: Leak | None = None
        for i, common in shared.items():
            holdout_id, other = self.texts[i]
            similarity = round(common / (len(parsed.grams) + len(other.grams) - common), 4)
            if similarity >= self.threshold:
                reason = f"3-gram overlap {similarity:.2f} ≥ {self.threshold}"
            elif (
                parsed.numbers
                and parsed.numbers == other.numbers
                and (similarity >= SAME_NUMBERS_THRESHOLD)
            ):
                reason = f"same numbers and 3-gram overlap {similarity:.2f}"
            else:
                continue
            if worst is None or similarity > worst.similarity:
                worst = Leak(corpus_id, holdout_id, similarity, reason)
        return worst

    def leaks(self, corpus: Sequence[tuple[str, str]]) -> list[Leak]:
        """Return the leak of every corpus (id, text) that copies a holdout task."""
        found = (self.find(corpus_id, text) for corpus_id, text in corpus)
        return [leak for leak in found if leak is not None]
