"""The Generator protocol: one interface for every engine that turns chat messages into text.

Rollout, the LLM judge and the distillation teacher all call `generate`; an engine also
describes its inference path so every episode can be stamped with it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol


@dataclass(frozen=True)
class GenerationRequest:
    messages: list[dict[str, str]]
    """Chat messages, `{"role": "system" | "user" | "assistant", "content": str}`."""
    max_new_tokens: int
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int = 0


@dataclass(frozen=True)
class Generation:
    text: str
    finish_reason: Literal["stop", "length", "error"]
    """`stop` at end of turn, `length` at the token budget, `error` when the request failed."""
    prompt_tokens: int
    completion_tokens: int
    latency_s: float = 0.0
    """Wall time of the request (of the whole batch, for batched local engines)."""
    cost_usd: float | None = None
    """Price of the request where the engine is priced; `None` for local engines."""
    error: str | None = None
    """Why the request failed after its retries (never contains a credential)."""
    token_ids: tuple[int, ...] | None = None
    """Local engines: the ids the model generated, before the text was decoded and stripped
    (a model that changed only the whitespace it emits has still changed)."""

    @property
    def ok(self) -> bool:
        return self.error is None


class Generator(Protocol):
    path: dict[str, Any]
    """Engine-side fields of the inference path: engine, versions, weights, dtype, template."""
    independent_requests: bool
    """True when a request's output does not depend on what else is in the call (HTTP APIs):
    a resumed stage then sends only the missing requests. Local engines that pad a batch
    together set False, so a resumed batch is regenerated with the same composition."""

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        """Return one generation per request, in order; a failed request is a Generation whose
        `error` says why, so the successful ones in the same call are never lost."""
        ...


def generate_each(
    generator: Generator,
    requests: Sequence[GenerationRequest],
    chunk: int,
    on_result: Callable[[int, Generation], None],
    admit: Callable[[], bool] = lambda: True,
) -> None:
    """Call `on_result(index, generation)` for `requests` as they finish, starting work only
    while `admit()` holds. An engine with its own `generate_each` (the HTTP APIs) keeps its
    requests in flight without batch barriers; any other is called `chunk` requests at a time.
    """
    own = getattr(generator, "generate_each", None)
    if own is not None:
        own(requests, on_result, admit)
        return
    for start in range(0, len(requests), chunk):
        if not admit():
            return
        for index, generation in enumerate(generator.generate(requests[start : start + chunk])):
            on_result(start + index, generation)
