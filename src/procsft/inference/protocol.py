"""The Generator protocol: one interface for every engine that turns chat messages into text.

Rollout, the LLM judge and the distillation teacher all call `generate`; an engine also
describes its inference path so every episode can be stamped with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol


@dataclass(frozen=True)
class GenerationRequest:
    messages: list[dict[str, str]]
    max_new_tokens: int
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int = 0


@dataclass(frozen=True)
class Generation:
    text: str
    finish_reason: Literal["stop", "length"]
    prompt_tokens: int
    completion_tokens: int


class Generator(Protocol):
    path: dict[str, Any]
    """Engine-side fields of the inference path: engine, versions, weights, dtype, template."""

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        """Return one generation per request, in order."""
        ...
