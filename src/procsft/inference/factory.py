"""Build the Generator for a configuration: a student on a local engine, or a model behind an
HTTP API (references and LLM judges)."""

from __future__ import annotations

from pathlib import Path

from procsft.config import ApiClient, Compute, Student
from procsft.inference.models import resolve_model
from procsft.inference.protocol import Generator


def student_generator(
    student: Student, compute: Compute, cache_dir: Path, adapter: Path | None = None
) -> Generator:
    """Return the configured local engine serving `student` (with `adapter` when given)."""
    resolved = resolve_model(student.source, student.revision, cache_dir)
    if compute.engine == "vllm":
        from procsft.inference.vllm_backend import VllmGenerator

        return VllmGenerator(
            resolved,
            dtype=compute.dtype,
            adapter=adapter,
            chat_template_kwargs=student.chat_template_kwargs,
        )
    from procsft.inference.transformers_backend import TransformersGenerator

    return TransformersGenerator(
        resolved,
        dtype=compute.dtype,
        device=compute.device,
        adapter=adapter,
        chat_template_kwargs=student.chat_template_kwargs,
    )


def api_generator(backend: str, model: str, client: ApiClient) -> Generator:
    """Return the official-SDK client for `model` at `backend` ("anthropic" or "openai"); a
    reference's `chat_template_kwargs` go to an OpenAI-compatible server that renders them."""
    from procsft.inference.http_engine import Price

    price = client.price and Price(client.price.input_per_mtok, client.price.output_per_mtok)
    options = {
        "base_url": client.base_url,
        "max_concurrency": client.max_concurrency,
        "timeout_s": client.timeout_s,
        "price": price,
    }
    if client.api_key_env:
        options["api_key_env"] = client.api_key_env
    if backend == "anthropic":
        from procsft.inference.anthropic_backend import AnthropicGenerator

        return AnthropicGenerator(model, **options)
    from procsft.inference.openai_backend import OpenAIGenerator

    kwargs = getattr(client, "chat_template_kwargs", None)  # references only, not judges
    return OpenAIGenerator(model, **options, chat_template_kwargs=kwargs)
