"""Redaction: secret values never reach MLflow params, tags, manifests, logs or artifacts.

A secret is the value of an environment variable whose name says it holds one (`*_KEY`,
`*_SECRET`, `*_TOKEN`, `*_PASSWORD`, the AWS key pair), or a value registered at run time (a key
passed to a store as an argument). Values are read when redacting, so a secret exported after
import is still caught.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from procsft.errors import ProcsftError

MASK = "***"
SECRET_SUFFIXES = ("_KEY", "_SECRET", "_TOKEN", "_PASSWORD")
SECRET_NAMES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
# Shorter values ("1", "true", "none") are settings, not secrets; masking them would corrupt
# ordinary text everywhere.
MIN_SECRET_LENGTH = 6
_CHUNK = 1 << 20

_registered: set[str] = set()
T = TypeVar("T")


class SecretInBinaryFile(ProcsftError):
    """A binary file holds a secret value: it is refused rather than written anywhere."""


def is_secret_name(name: str) -> bool:
    """Return whether an environment variable of this name holds a secret."""
    upper = name.upper()
    return upper in SECRET_NAMES or upper.endswith(SECRET_SUFFIXES)


def register_secret(value: str | None) -> None:
    """Treat `value` as a secret from now on (keys that come from arguments, not the env)."""
    if value and len(value) >= MIN_SECRET_LENGTH:
        _registered.add(value)


def secret_values(environ: Mapping[str, str] | None = None) -> list[str]:
    """Return the secrets to mask, longest first (so a secret containing another goes whole)."""
    env = os.environ if environ is None else environ
    found = {v for k, v in env.items() if is_secret_name(k) and len(v) >= MIN_SECRET_LENGTH}
    return sorted(found | _registered, key=len, reverse=True)


def redact_text(text: str, secrets: Iterable[str] | None = None) -> str:
    """Return `text` with every secret replaced by `***`."""
    for secret in secret_values() if secrets is None else secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def redact(value: T, secrets: Iterable[str] | None = None) -> T:
    """Return a copy of `value` (str, dict, list, tuple, nested) with secrets masked."""
    secrets = secret_values() if secrets is None else list(secrets)
    if not secrets:
        return value
    return _redact(value, secrets)


def _redact(value: Any, secrets: list[str]) -> Any:
    if isinstance(value, str):
        return redact_text(value, secrets)
    if isinstance(value, Mapping):
        return {_redact(k, secrets): _redact(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_redact(v, secrets) for v in value)
    return value


def file_has_secret(path: Path, secrets: Iterable[str] | None = None) -> bool:
    """Return whether any secret's bytes occur in the file at `path`."""
    needles = [s.encode() for s in (secret_values() if secrets is None else secrets)]
    if not needles:
        return False
    overlap = max(len(n) for n in needles) - 1
    tail = b""
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            window = tail + chunk
            if any(n in window for n in needles):
                return True
            tail = window[-overlap:] if overlap else b""
    return False


def copy_redacted(src: Path, dst: Path, secrets: Iterable[str] | None = None) -> bool:
    """Copy `src` to `dst` with secrets masked; return whether anything was masked.

    Text files are masked; a binary file holding a secret is refused (masking bytes would
    corrupt it) with SecretInBinaryFile, which names the file and never the secret.
    """
    secrets = secret_values() if secrets is None else list(secrets)
    dst.parent.mkdir(parents=True, exist_ok=True)
    if not file_has_secret(src, secrets):
        shutil.copyfile(src, dst)
        return False
    try:
        text = src.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise SecretInBinaryFile(f"{src}: binary file holds a secret value; not copied") from None
    dst.write_text(redact_text(text, secrets), encoding="utf-8")
    return True
