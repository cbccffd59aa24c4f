"""What the HTTP engines share: prices, retries, bounded concurrency and API-key handling.

A subclass of `HTTPGenerator` speaks one wire format (`_client`, `_call`); this module runs its
requests concurrently, retries the transient failures and turns every other failure into a
`Generation` whose `error` never contains the API key.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from procsft.errors import ConfigError
from procsft.inference.protocol import Generation, GenerationRequest

log = logging.getLogger(__name__)
T = TypeVar("T")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504, 529})
"""Rate limited, server errors and gateway failures, and Anthropic's 529 "overloaded"."""
MAX_RETRY_AFTER_S = 600.0
"""A bogus Retry-After header must not stall a run for hours."""
MAX_ERROR_CHARS = 300

FinishReason = Literal["stop", "length"]


@dataclass(frozen=True)
class Price:
    """USD per million input (prompt) tokens and per million output (completion) tokens."""

    input_per_mtok: float
    output_per_mtok: float

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        """Return the USD price of a request with these token counts."""
        return (
            prompt_tokens * self.input_per_mtok + completion_tokens * self.output_per_mtok
        ) / 1e6


class UnusableResponse(Exception):
    """The server answered, but not with a usable generation (malformed body, odd stop)."""


class MalformedResponse(UnusableResponse):
    """A 200 whose body is not the shape of a generation (no choices, no content, no usage):
    a glitch of the server or a proxy in front of it, retried like a 5xx."""


MALFORMED_BODY: tuple[type[BaseException], ...] = (MalformedResponse, json.JSONDecodeError)
"""Exceptions of a 200 whose body is not JSON or not the expected shape: retried with the same
backoff as a 5xx, so a judge or a rollout is not left undecided by a transient fault. An odd
finish reason stays an error: the model's answer, which asking again would repeat."""


def read_api_key(env_name: str) -> str:
    """Return the API key held in environment variable `env_name`; ConfigError when unset."""
    key = os.environ.get(env_name, "").strip()
    if not key:
        raise ConfigError(f"environment variable {env_name} is not set; it must hold the API key")
    return key


def redact(text: str, secret: str) -> str:
    """Return `text` with every occurrence of `secret` replaced by a placeholder."""
    return text.replace(secret, "[REDACTED]") if secret else text


def http_status(exc: BaseException) -> int | None:
    """Return the HTTP status an SDK exception carries (`None` when it has none)."""
    status = getattr(exc, "status_code", None)
    return status if isinstance(status, int) else None


def describe_error(exc: BaseException, secret: str) -> str:
    """Return a short, key-free reason for a failed request."""
    status = http_status(exc)
    if isinstance(exc, UnusableResponse):
        text = f"unusable response: {exc}"
    elif isinstance(exc, json.JSONDecodeError):
        text = "unusable response: body is not JSON"
    elif status is not None:
        text = f"HTTP {status}: {exc}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    # Redact before truncating, or a cut could leave a prefix of the key behind.
    return redact(text, secret)[:MAX_ERROR_CHARS]


def retry_after_s(exc: BaseException | None) -> float | None:
    """Return the wait the server asked for in Retry-After (or retry-after-ms), if any."""
    headers = getattr(getattr(exc, "response", None), "headers", None)
    if headers is None:
        return None
    for name, scale in (("retry-after-ms", 1e-3), ("retry-after", 1.0)):
        try:
            return min(max(0.0, float(headers.get(name)) * scale), MAX_RETRY_AFTER_S)
        except (TypeError, ValueError):
            continue  # absent, or an HTTP date, which these APIs do not send
    return None


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter that waits at least as long as Retry-After asks."""

    max_attempts: int = 5
    initial_wait_s: float = 0.5
    max_wait_s: float = 30.0

    async def call(
        self,
        fn: Callable[..., Awaitable[T]],
        *args: Any,
        retry_on: tuple[type[BaseException], ...] = (),
        label: str = "request",
    ) -> T:
        """Return `await fn(*args)`, retried on retryable HTTP statuses and on `retry_on`."""
        backoff = wait_exponential_jitter(
            multiplier=self.initial_wait_s, max=self.max_wait_s, jitter=self.initial_wait_s
        )

        def wait(state: RetryCallState) -> float:
            asked = retry_after_s(state.outcome.exception() if state.outcome else None)
            return max(backoff(state), asked or 0.0)

        def log_retry(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            status = http_status(exc) if exc else None
            # The reason is the status or the class name only: exception texts may hold the key.
            reason = f"HTTP {status}" if status else type(exc).__name__
            if isinstance(exc, MALFORMED_BODY):
                reason = "HTTP 200 with a malformed body"
            log.warning(
                "%s: attempt %d of %d failed (%s); retrying in %.2f s",
                label,
                state.attempt_number,
                self.max_attempts,
                reason,
                state.upcoming_sleep,
            )

        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=wait,
            retry=retry_if_exception(
                lambda exc: isinstance(exc, retry_on) or http_status(exc) in RETRY_STATUSES
            ),
            before_sleep=log_retry,
            reraise=True,
        )
        return await retrying(fn, *args)


class HTTPGenerator:
    """A Generator over an HTTP API: concurrent requests, retries, and per-request errors."""

    independent_requests = True
    engine: str
    connection_errors: tuple[type[BaseException], ...]
    """The SDK's connection and timeout errors, retried like the retryable statuses."""

    def __init__(
        self,
        model: str,
        *,
        base_url: str,
        engine_version: str,
        api_key_env: str,
        max_concurrency: int,
        timeout_s: float,
        max_attempts: int,
        price: Price | None,
        initial_wait_s: float,
        max_wait_s: float,
    ):
        if max_concurrency < 1:
            raise ConfigError(f"max_concurrency must be at least 1, got {max_concurrency}")
        self.model = model
        self.base_url = base_url
        self.max_concurrency = max_concurrency
        self.timeout_s = timeout_s
        self.price = price
        self.retry = RetryPolicy(max_attempts, initial_wait_s, max_wait_s)
        self._api_key = read_api_key(api_key_env)
        self.path: dict[str, Any] = {
            "engine": self.engine,
            "engine_version": engine_version,
            "model_id": model,
            "base_url": base_url,
            "revision": None,
            "weights_sha256": None,
            "adapter_sha256": None,
            "dtype": None,
            "chat_template_sha256": None,
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model={self.model!r}, base_url={self.base_url!r})"

    def _client(self) -> Any:
        """Return a new async SDK client (an async context manager) for one `generate` call."""
        raise NotImplementedError

    async def _call(
        self, client: Any, request: GenerationRequest
    ) -> tuple[str, FinishReason, int, int]:
        """Return text, finish reason, prompt and completion tokens; MalformedResponse when the
        body is not the shape of a generation, UnusableResponse when it is but is unusable."""
        raise NotImplementedError

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        """Return one generation per request, in order; a failed one has `error` set."""
        out: list[Generation] = []
        if requests:
            slots: dict[int, Generation] = {}
            self.generate_each(requests, slots.__setitem__)
            out = [slots[i] for i in range(len(requests))]
        return out

    def generate_each(
        self,
        requests: Sequence[GenerationRequest],
        on_result: Callable[[int, Generation], None],
        admit: Callable[[], bool] = lambda: True,
    ) -> None:
        """Call `on_result(index, generation)` as each request finishes, keeping
        `max_concurrency` requests in flight the whole time: a new one starts as soon as one
        ends, with no batch barrier. A request starts only while `admit()` is true, so a
        caller's budget ends the call early with the started requests finished.

        `on_result` runs inside the event loop, so it must be quick (write a row, update
        totals); an exception from it cancels the requests in flight and propagates.
        """
        if requests:
            asyncio.run(self._each(requests, on_result, admit))

    async def _each(
        self,
        requests: Sequence[GenerationRequest],
        on_result: Callable[[int, Generation], None],
        admit: Callable[[], bool],
    ) -> None:
        queue = iter(enumerate(requests))
        # The client lives inside this event loop: its connection pool is bound to the loop.
        async with self._client() as client:

            async def worker() -> None:
                # Each worker takes the next request the moment its last one is handled.
                while admit() and (item := next(queue, None)) is not None:
                    index, request = item
                    on_result(index, await self._one(client, request))

            workers = [asyncio.create_task(worker()) for _ in range(self.max_concurrency)]
            try:
                await asyncio.gather(*workers)  # re-raises what `on_result` raised
            finally:
                for task in workers:
                    task.cancel()
                await asyncio.gather(*workers, return_exceptions=True)

    async def _one(self, client: Any, request: GenerationRequest) -> Generation:
        # Latency covers the retries: it is the wall time the caller waited for this request.
        start = time.perf_counter()
        try:
            text, finish, prompt_tokens, completion_tokens = await self.retry.call(
                self._call,
                client,
                request,
                retry_on=(*self.connection_errors, *MALFORMED_BODY),
                label=f"{self.engine} {self.model}",
            )
        except Exception as exc:  # one failed request must not lose the others of the call
            return Generation(
                text="",
                finish_reason="error",
                prompt_tokens=0,
                completion_tokens=0,
                latency_s=time.perf_counter() - start,
                error=describe_error(exc, self._api_key),
            )
        return Generation(
            text=text,
            finish_reason=finish,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            latency_s=time.perf_counter() - start,
            cost_usd=self.price.cost(prompt_tokens, completion_tokens) if self.price else None,
        )


def token_count(value: Any, field: str) -> int:
    """Return `value` as a token count; MalformedResponse when the server left it out."""
    if not isinstance(value, int) or value < 0:
        raise MalformedResponse(f"missing usage.{field}")
    return value
