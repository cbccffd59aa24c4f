"""sha256 digests: of a file, of a folder's weight files, of a text. Every file digest the
project records (run manifests, stage outputs, weights, adapters, suite files) is made here."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

CHUNK = 1 << 20
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".gguf")


def update_from_file(digest: Any, path: Path) -> Any:
    """Return `digest` (a hashlib object) after feeding it the bytes of the file at `path`."""
    with Path(path).open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest


def sha256_file(path: Path) -> str:
    """Return the hex sha256 of the file at `path`."""
    return update_from_file(hashlib.sha256(), path).hexdigest()


def weights_sha256(folder: Path) -> str:
    """Return one sha256 over every weight file in `folder` (its name, then its bytes), in name
    order: the identity of a model's or an adapter's weights."""
    digest = hashlib.sha256()
    files = sorted(p for p in Path(folder).iterdir() if p.suffix in WEIGHT_SUFFIXES)
    for path in files:
        digest.update(path.name.encode())
        update_from_file(digest, path)
    return digest.hexdigest()


def text_sha256(text: str | None) -> str | None:
    """Return the hex sha256 of `text` (UTF-8), or None for no text."""
    return None if text is None else hashlib.sha256(text.encode()).hexdigest()
