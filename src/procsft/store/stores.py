"""Which artifact store a target names: a local folder (`file://…`, a path, the runs folder)
or S3 (`s3://bucket/prefix`). Apart from both stores, so neither imports the other."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from urllib.request import url2pathname

from procsft.store.artifacts import ArtifactStore, LocalStore, StoreError


def open_store(target: Any = None) -> ArtifactStore:
    """Return the store for a URI (`file://…`, `s3://bucket/prefix`, a folder), a `Storage`,
    or a `StudyConfig`; a config without `storage.artifacts` publishes into its runs_dir."""
    storage = getattr(target, "storage", target)
    options: dict[str, Any] = {}
    if hasattr(storage, "runs_dir"):
        options = {
            "endpoint_url": storage.s3_endpoint_url,
            "region": storage.s3_region,
            "credentials_file": storage.s3_credentials_file,
        }
        target = storage.artifacts or storage.runs_dir
    if target is None:
        target = "runs"
    text = str(target)
    if text.startswith("s3://"):
        from procsft.store.s3 import S3Store  # boto3 loads only for an S3 store

        parsed = urlparse(text)
        if not parsed.netloc:
            raise StoreError(f"{text}: an S3 URI needs a bucket (s3://bucket/prefix)")
        return S3Store(parsed.netloc, parsed.path, **options)
    if text.startswith("file:"):
        return LocalStore(url2pathname(urlparse(text).path))
    if "://" in text:
        raise StoreError(f"{text}: unsupported artifact store (use file://… or s3://…)")
    return LocalStore(Path(text))
