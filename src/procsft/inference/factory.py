"""Build the Generator for a configuration: a student (or a local teacher) on a local engine,
or a model behind an HTTP API (references, LLM judges and API teachers)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from procsft.config import ApiClient, Compute, Distill, Student
from procsft.inference.models import resolve_model
from procsft.inference.protocol import Generator


def student_generator(
    student: Student, compute: Compute, cache_dir: Path, adapter: Path | None = None
) -> Generator:
    """Return the configured local engine serving `student` (with `adapter` when given)."""
    return model_generator(
        student.source,
        student.revision,
        compute,
        cache_dir,
        adapter,
        chat_template_kwargs=student.chat_template_kwargs,
    )


def model_generator(
    source: str,
    revision: str | None,
    compute: Compute,
    cache_dir: Path,
    adapter: Path | None = None,
    *,
    chat_template_kwargs: dict[str, Any] | None = None,
) -> Generator:
    """Return the configured local engine (`compute.engine`) serving the model `source`,
    rendering its chat template with `chat_template_kwargs`."""
    resolved = resolve_model(source, revision, cache_dir)
    if compute.engine == "vllm":
        from procsft.inference.vllm_backend import VllmGenerator

        return VllmGenerator(
            resolved,
            dtype=compute.dtype,
            adapter=adapter,
            chat_template_kwargs=chat_template_kwargs,
        )
    from procsft.inference.transformers_backend import TransformersGenerator

    return TransformersGenerator(
        resolved,
        dtype=compute.dtype,
        device=compute.device,
        adapter=adapter,
        chat_template_kwargs=chat_template_kwargs,
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


def teacher_generator(distill: Distill, compute: Compute, cache_dir: Path) -> Generator:
    """Return the engine serving a model teacher: its HTTP API, or the local engine. (The
    programmatic teacher is made from the suite's solutions, `procsft.suite.files`.)"""
    if distill.teacher_backend in ("anthropic", "openai"):
        return api_generator(distill.teacher_backend, distill.teacher_model, distill)
    return model_generator(distill.teacher, distill.revision, compute, cache_dir)
