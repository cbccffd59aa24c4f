"""Artifact stores: one interface over a local folder (`file://`) and S3 (`s3://bucket/prefix`,
`procsft.store.s3`).

Keys are `/`-separated paths relative to the store's root. A `put` publishes atomically: a
reader sees either no object under the key or the whole, verified one.
"""

from __future__ import annotations

import configparser
import os
import shutil
from abc import ABC, abstractmethod
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

from procsft.atomic import replacing
from procsft.errors import ProcsftError
from procsft.hashing import sha256_file
from procsft.store.redact import redact_text

SHA256_META = "sha256"
TMP_DIR = ".procsft-tmp"
_CHUNK = 1 << 20


class StoreError(ProcsftError):
    """An artifact store refused or failed an operation; names the store, never a secret."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(redact_text(message))
        self.transient = transient
        """Whether retrying the same operation may succeed (a connection lost, a 5xx)."""


def clean_key(key: str) -> str:
    """Return `key` normalised (`a/b/c`); refuse empty keys, `..`, and the temporary area."""
    parts = [p for p in key.replace("\\", "/").split("/") if p not in ("", ".")]
    if not parts or ".." in parts or parts[0] == TMP_DIR:
        raise StoreError(f"invalid artifact key {key!r}")
    return "/".join(parts)


class ArtifactStore(ABC):
    """Where run files are published: keys in, URIs out."""

    uri: str
    """The root URI; `uri_for(key)` is `<uri>/<key>`."""

    @abstractmethod
    def put(self, local_path: str | Path, key: str) -> str:
        """Return the URI of `key` after publishing the file at `local_path` under it."""

    @abstractmethod
    def get(self, key_or_uri: str, local_path: str | Path) -> Path:
        """Return `local_path` after downloading the object there (checked, then renamed)."""

    @abstractmethod
    def exists(self, key_or_uri: str) -> bool:
        """Return whether an object is stored under the key."""

    @abstractmethod
    def list(self, prefix: str = "") -> list[str]:
        """Return the sorted keys under `prefix` (temporary uploads are never listed)."""

    @abstractmethod
    def sha256(self, key_or_uri: str) -> str:
        """Return the hex sha256 of the stored object."""

    def uri_for(self, key: str) -> str:
        """Return the URI of `key` in this store."""
        return f"{self.uri.rstrip('/')}/{clean_key(key)}"

    def holds(self, local_path: str | Path, key: str) -> bool:
        """Return whether `key` is the very file at `local_path` (a store around the runs)."""
        return False

    def put_tree(self, local_dir: str | Path, prefix: str) -> dict[str, str]:
        """Return {relative path: URI} after publishing every file under `local_dir` (hidden
        files skipped); files already stored with the same sha256 are not sent again."""
        root = Path(local_dir)
        uris = {}
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            rel = path.relative_to(root).as_posix()
            if _hidden(rel):
                continue
            key = f"{prefix.strip('/')}/{rel}" if prefix.strip("/") else rel
            if self.exists(key) and self.sha256(key) == sha256_file(path):
                uris[rel] = self.uri_for(key)
            else:
                uris[rel] = self.put(path, key)
        return uris


class LocalStore(ArtifactStore):
    """A folder: `file://` URIs; a put copies to a hidden temporary file and renames it."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).expanduser().resolve()
        self.uri = self.root.as_uri()

    def _path(self, key_or_uri: str) -> Path:
        if key_or_uri.startswith("file:"):
            path = Path(url2pathname(urlparse(key_or_uri).path)).resolve()
            if not path.is_relative_to(self.root):
                raise StoreError(f"{key_or_uri} is outside the store {self.uri}")
            key_or_uri = path.relative_to(self.root).as_posix()
        return self.root / clean_key(key_or_uri)

    def holds(self, local_path: str | Path, key: str) -> bool:
        dst = self._path(key)
        return dst.exists() and dst.samefile(local_path)

    def put(self, local_path: str | Path, key: str) -> str:
        if not self.holds(local_path, key):  # the run folder may live inside this store
            _copy_verified(Path(local_path), self._path(key))
        return self._path(key).as_uri()

    def get(self, key_or_uri: str, local_path: str | Path) -> Path:
        src = self._path(key_or_uri)
        if not src.is_file():
            raise StoreError(f"{src.as_uri()}: no such artifact")
        _copy_verified(src, Path(local_path))
        return Path(local_path)

    def exists(self, key_or_uri: str) -> bool:
        return self._path(key_or_uri).is_file()

    def list(self, prefix: str = "") -> list[str]:
        folder = prefix.rpartition("/")[0]
        base = self._path(folder) if folder.strip("/") else self.root
        keys = (p.relative_to(self.root).as_posix() for p in base.rglob("*") if p.is_file())
        return sorted(k for k in keys if k.startswith(prefix.lstrip("/")) and not _hidden(k))

    def sha256(self, key_or_uri: str) -> str:
        path = self._path(key_or_uri)
        if not path.is_file():
            raise StoreError(f"{path.as_uri()}: no such artifact")
        return sha256_file(path)


def _copy_verified(src: Path, dst: Path) -> None:
    """Copy through a hidden sibling of `dst`, check size and sha256, then rename into place."""
    with replacing(dst, unique=True) as tmp:
        with src.open("rb") as reader, tmp.open("wb") as writer:
            shutil.copyfileobj(reader, writer, _CHUNK)
            writer.flush()
            os.fsync(writer.fileno())
        if tmp.stat().st_size != src.stat().st_size or sha256_file(tmp) != sha256_file(src):
            raise StoreError(f"copy of {src} to {dst} does not match its source")


def _hidden(key: str) -> bool:
    """Return whether a key is a temporary or hidden file (never listed, never published)."""
    return any(part.startswith(".") for part in key.split("/"))


def read_credentials(path: Path) -> tuple[str, str]:
    """Return the key pair in the `[default]` section of an AWS-style credentials file."""
    parser = configparser.ConfigParser()
    if not parser.read(path.expanduser()):
        raise StoreError(f"{path}: credentials file not found")
    try:
        section = parser["default"]
        return section["aws_access_key_id"], section["aws_secret_access_key"]
    except KeyError:
        raise StoreError(
            f"{path}: needs [default] aws_access_key_id and aws_secret_access_key"
        ) from None
