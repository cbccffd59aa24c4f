"""The Anthropic engine: the Messages API over the official SDK."""

from __future__ import annotations

from typing import Any

import anthropic

from procsft.inference.http_engine import (
    FinishReason,
    HTTPGenerator,
    MalformedResponse,
    Price,
    UnusableResponse,
    token_count,
)
from procsft.inference.protocol import GenerationRequest

DEFAULT_BASE_URL = "https://api.anthropic.com"
STOP_REASONS: dict[str, FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
}


class AnthropicGenerator(HTTPGenerator):
    """Generate with the Anthropic Messages API; requests run concurrently and are retried."""

    engine = "anthropic"
    connection_errors = (anthropic.APIConnectionError,)  # APITimeoutError is a subclass

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key_env: str = "ANTHROPIC_API_KEY",
        max_concurrency: int = 8,
        timeout_s: float = 60.0,
        max_attempts: int = 5,
        price: Price | None = None,
        initial_wait_s: float = 0.5,
        max_wait_s: float = 30.0,
    ):
        # The URL is always passed to the SDK, so ANTHROPIC_BASE_URL cannot silently redirect
        # requests away from the base_url recorded in the path.
        super().__init__(
            model,
            base_url=base_url or DEFAULT_BASE_URL,
            engine_version=anthropic.__version__,
            api_key_env=api_key_env,
            max_concurrency=max_concurrency,
            timeout_s=timeout_s,
            max_attempts=max_attempts,
            price=price,
            initial_wait_s=initial_wait_s,
            max_wait_s=max_wait_s,
        )

    def _client(self) -> anthropic.AsyncAnthropic:
        """Return a client with the SDK's own retries off (ours honour Retry-After), over the
        SDK's aiohttp transport, which costs less CPU per request than the default one."""
        return anthropic.AsyncAnthropic(
            base_url=self.base_url,
            api_key=self._api_key,
            max_retries=0,
            timeout=self.timeout_s,
            http_client=anthropic.DefaultAioHttpClient(timeout=self.timeout_s),
        )

    async def _call(
        self, client: Any, request: GenerationRequest
    ) -> tuple[str, FinishReason, int, int]:
        """Return text, finish reason, prompt and completion tokens of one message."""
        system = [m["content"] for m in request.messages if m["role"] == "system"]
        turns = [m for m in request.messages if m["role"] != "system"]
        options: dict[str, Any] = {"system": "\n\n".join(system)} if system else {}
        # This SDK's `create` has no sampling parameters, so they travel in the body. Some
        # models reject temperature and top_p together: top_p goes only when it narrows.
        sampling: dict[str, float] = {"temperature": request.temperature}
        if request.top_p != 1.0:
            sampling["top_p"] = request.top_p
        response = await client.messages.create(
            model=self.model,
            # Messages travel in the body for the reason OpenAIGenerator gives: the SDK's
            # transform of a typed `messages` argument changes nothing and costs CPU.
            messages=[],
            max_tokens=request.max_new_tokens,
            extra_body={"messages": turns, **sampling},
            **options,
        )
        content = getattr(response, "content", None)
        if not isinstance(content, list):
            raise MalformedResponse("no content")
        text = "".join(b.text for b in content if getattr(b, "type", None) == "text")
        stop_reason = getattr(response, "stop_reason", None)
        finish = STOP_REASONS.get(stop_reason or "")
        if finish is None:
            raise UnusableResponse(f"unexpected stop_reason {stop_reason!r}")
        usage = getattr(response, "usage", None)
        return (
            text,
            finish,
            token_count(getattr(usage, "input_tokens", None), "input_tokens"),
            token_count(getattr(usage, "output_tokens", None), "output_tokens"),
        )
