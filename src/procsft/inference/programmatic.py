"""The offline programmatic teacher: a Generator that answers with the suite's worked solutions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from procsft.inference.protocol import Generation, GenerationRequest


class ProgrammaticTeacher:
    """Answer each request whose last message is a known prompt with its worked solution.

    An unknown prompt gets an empty reply, which the judge then rejects: the teacher never
    guesses.
    """

    independent_requests = True

    def __init__(self, solutions: Mapping[str, str]):
        self.solutions = dict(solutions)
        self.path: dict[str, Any] = {"engine": "programmatic", "model_id": "programmatic"}

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        out = []
        for request in requests:
            text = self.solutions.get(request.messages[-1]["content"], "")
            out.append(Generation(text, "stop", 0, len(text.split())))
        return out
