"""A forced-choice verdict for local judges too small to follow the grading format.

Instead of writing a rationale and a `VERDICT:` line, the judge's reply is begun with
`VERDICT:` and the verdict is whichever of PASS and FAIL the model finds more likely there
(multiple-choice scoring, as in lm-evaluation-harness). It always decides, is deterministic,
and costs one forward pass per episode. The reply it records states both log-probabilities,
so the verdict row shows how close the call was.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from procsft.inference.decoding import CONTINUATIONS
from procsft.inference.protocol import Generation, GenerationRequest

PREFIX = "VERDICT:"
OPTIONS = (" PASS", " FAIL")


class ScoresContinuations(Protocol):
    path: dict[str, Any]

    def continuation_logprobs(
        self, requests: Sequence[GenerationRequest], prefix: str, options: Sequence[str]
    ) -> list[list[float]]: ...


class ForcedVerdictJudge:
    """A Generator whose reply to a grading prompt is the more likely verdict line."""

    independent_requests = False

    def __init__(self, model: ScoresContinuations):
        self.model = model
        self.path = {**model.path, "verdict": "forced", "continuations": CONTINUATIONS}

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        """Return one reply per grading prompt: both log-probabilities, then the verdict (none
        on an exact tie, which then counts as undecided)."""
        if not requests:
            return []
        out = []
        for passing, failing in self.model.continuation_logprobs(requests, PREFIX, OPTIONS):
            text = f"log p(PASS) = {passing:.3f}, log p(FAIL) = {failing:.3f}"
            if passing != failing:
                text += f"\nVERDICT: {'PASS' if passing > failing else 'FAIL'}"
            out.append(Generation(text, "stop", prompt_tokens=0, completion_tokens=0))
        return out
