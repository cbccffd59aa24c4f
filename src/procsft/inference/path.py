"""Inference-path fingerprints: what, besides the model, shapes an episode."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def path_fingerprint(path: dict[str, Any]) -> str:
    """Return the sha256 of the canonical JSON of `path`."""
    canonical = json.dumps(path, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def path_differences(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """Return the sorted names of the fields whose values differ between two paths."""
    return sorted(key for key in a.keys() | b.keys() if a.get(key) != b.get(key))
