"""Inference engines behind one Generator protocol, model resolution and path fingerprints."""

from procsft.inference.models import ResolvedModel, default_cache_dir, resolve_model
from procsft.inference.path import path_differences, path_fingerprint
from procsft.inference.protocol import Generation, GenerationRequest, Generator

__all__ = [
    "Generation",
    "GenerationRequest",
    "Generator",
    "ResolvedModel",
    "default_cache_dir",
    "path_differences",
    "path_fingerprint",
    "resolve_model",
]
