"""Build the Generator for a configuration: a student on a local engine, or a reference API."""

from __future__ import annotations

from pathlib import Path

from procsft.config import Compute, Reference, Student
from procsft.inference.models import resolve_model
from procsft.inference.protocol import Generator


def student_generator(
    student: Student, compute: Compute, cache_dir: Path, adapter: Path | None = None
) -> Generator:
    """Return the configured local engine serving `student` (with `adapter` when given)."""
    resolved = resolve_model(student.source, student.revision, cache_dir)
    if compute.engine == "vllm":
        from procsft.inference.vllm_backend import VllmGenerator

        return VllmGenerator(resolved, dtype=compute.dtype, adapter=adapter)
    from procsft.inference.transformers_backend import TransformersGenerator

    return TransformersGenerator(
        resolved, dtype=compute.dtype, device=compute.device, adapter=adapter
    )


def reference_generator(reference: Reference) -> Generator:
    """Return the API client serving a reference model."""
    from procsft.inference.http_engine import Price

    price = (
        Price(reference.price.input_per_mtok, reference.price.output_per_mtok)
        if reference.price
        else None
    )
    options = {
        "base_url": reference.base_url,
        "max_concurrency": reference.max_concurrency,
        "timeout_s": reference.timeout_s,
        "price": price,
    }
    if reference.api_key_env:
        options["api_key_env"] = reference.api_key_env
    if reference.backend == "anthropic":
        from procsft.inference.anthropic_backend import AnthropicGenerator

        return AnthropicGenerator(reference.model, **options)
    from procsft.inference.openai_backend import OpenAIGenerator

    return OpenAIGenerator(reference.model, **options)
