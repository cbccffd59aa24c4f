"""The S3 artifact store, through boto3: SeaweedFS, MinIO and AWS alike. A put uploads to a
temporary key, checks size and checksum, then copies to the final key, so the final key appears
whole or not at all."""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from procsft.atomic import replacing
from procsft.hashing import sha256_file
from procsft.store.artifacts import (
    SHA256_META,
    TMP_DIR,
    ArtifactStore,
    StoreError,
    _hidden,
    clean_key,
    read_credentials,
)
from procsft.store.redact import register_secret

_CHUNK = 1 << 20
_MIB = 1 << 20
# Codes that mean the request itself is wrong: retrying cannot help.
_CREDENTIAL_CODES = {
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "AccessDenied",
    "InvalidToken",
    "ExpiredToken",
}
_MISSING_CODES = {"404", "NoSuchKey", "NotFound"}


class S3Store(ArtifactStore):
    """An S3 bucket and prefix, through boto3 (SeaweedFS, MinIO and AWS alike).

    Endpoint, region and keys: explicit arguments, else the credentials file, else the standard
    `AWS_*` variables (`AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`, `AWS_REGION`, …) and boto3's
    own chain. Requests are retried by botocore (`max_attempts`); a failed upload is started
    over up to `attempts` times.
    """

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        credentials_file: str | Path | None = None,
        max_attempts: int = 5,
        attempts: int = 3,
        multipart_threshold: int = 8 * _MIB,
        multipart_chunksize: int = 8 * _MIB,
        connect_timeout: float = 5.0,
        read_timeout: float = 60.0,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.uri = f"s3://{bucket}/{self.prefix}".rstrip("/")
        env = os.environ
        self.endpoint_url = (
            endpoint_url or env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL") or None
        )
        self.region = region or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
        self.region = self.region or "us-east-1"
        register_secret(secret_key)
        self._access_key, self._secret_key = access_key, secret_key
        self.credentials_file = Path(credentials_file) if credentials_file else None
        self.max_attempts, self.attempts = max_attempts, attempts
        self.multipart_threshold = multipart_threshold
        self.multipart_chunksize = multipart_chunksize
        self.timeouts = (connect_timeout, read_timeout)
        self._client: Any = None

    @property
    def where(self) -> str:
        """Return the endpoint and bucket, for messages."""
        return f"S3 endpoint {self.endpoint_url or 'AWS'} (bucket {self.bucket})"

    @property
    def client(self) -> Any:
        """Return the boto3 S3 client (made on first use: importing boto3 costs time)."""
        if self._client is None:
            import boto3
            from botocore.config import Config

            if self.credentials_file and not (self._access_key and self._secret_key):
                self._access_key, self._secret_key = read_credentials(self.credentials_file)
                register_secret(self._secret_key)
            config = Config(
                retries={"max_attempts": self.max_attempts, "mode": "standard"},
                connect_timeout=self.timeouts[0],
                read_timeout=self.timeouts[1],
                # Local servers (SeaweedFS, MinIO) have no per-bucket DNS names.
                s3={"addressing_style": "path"} if self.endpoint_url else {},
            )
            self._client = boto3.session.Session().client(
                "s3",
                endpoint_url=self.endpoint_url,
                region_name=self.region,
                aws_access_key_id=self._access_key,
                aws_secret_access_key=self._secret_key,
                config=config,
            )
        return self._client

    def _transfer(self) -> Any:
        from boto3.s3.transfer import TransferConfig

        return TransferConfig(
            multipart_threshold=self.multipart_threshold,
            multipart_chunksize=self.multipart_chunksize,
            max_concurrency=4,
        )

    def _key(self, key_or_uri: str) -> str:
        """Return the full object key (prefix included) of a key or an `s3://` URI."""
        if key_or_uri.startswith("s3://"):
            parsed = urlparse(key_or_uri)
            if parsed.netloc != self.bucket:
                raise StoreError(f"{key_or_uri} is not in bucket {self.bucket}")
            full = parsed.path.lstrip("/")
            if self.prefix and not full.startswith(self.prefix + "/"):
                raise StoreError(f"{key_or_uri} is outside the store {self.uri}")
            key_or_uri = full[len(self.prefix) + 1 :] if self.prefix else full
        key = clean_key(key_or_uri)
        return f"{self.prefix}/{key}" if self.prefix else key

    def _uri(self, full_key: str) -> str:
        return f"s3://{self.bucket}/{full_key}"

    def put(
        self,
        local_path: str | Path,
        key: str,
        *,
        callback: Callable[[int], None] | None = None,
    ) -> str:
        """Return the URI of `key` after uploading `local_path` under a temporary key, checking
        its size and checksum, copying it to `key` and deleting the temporary one.

        `callback` receives the bytes sent so far in each step (boto3's progress callback).
        """
        src, full = Path(local_path), self._key(key)
        size = src.stat().st_size
        digest, etag = self._digests(src, size)
        for attempt in range(1, self.attempts + 1):
            try:
                self._publish(src, full, size, digest, etag, callback)
                return self._uri(full)
            except StoreError as err:
                if not err.transient or attempt == self.attempts:
                    raise
                time.sleep(min(2.0**attempt, 10.0))
        raise AssertionError("unreachable")

    def _publish(
        self,
        src: Path,
        full: str,
        size: int,
        digest: str,
        etag: str,
        callback: Callable[[int], None] | None,
    ) -> None:
        tmp = f"{self.prefix}/{TMP_DIR}/{uuid.uuid4().hex}".lstrip("/")
        meta = {"Metadata": {SHA256_META: digest}}
        try:
            self._call(
                "uploading",
                full,
                self.client.upload_file,
                str(src),
                self.bucket,
                tmp,
                ExtraArgs=meta,
                Config=self._transfer(),
                Callback=callback,
            )
            head = self._head(tmp)
            if head["ContentLength"] != size:
                raise StoreError(f"{self.where}: upload of {full} is truncated", transient=True)
            if head["ETag"].strip('"') != etag and self._stream_sha256(tmp) != digest:
                raise StoreError(f"{self.where}: upload of {full} is corrupt", transient=True)
            # A server-side copy makes the final key appear whole, or not at all.
            self._call(
                "publishing",
                full,
                self.client.copy,
                {"Bucket": self.bucket, "Key": tmp},
                self.bucket,
                full,
                ExtraArgs={**meta, "MetadataDirective": "REPLACE"},
                Config=self._transfer(),
            )
            head = self._head(full)
            if head["ContentLength"] != size or head["Metadata"].get(SHA256_META) != digest:
                raise StoreError(f"{self.where}: published {full} does not match", transient=True)
        finally:
            # A server that is down keeps the temporary object; list() never shows it.
            with contextlib.suppress(Exception):
                self.client.delete_object(Bucket=self.bucket, Key=tmp)

    def _digests(self, path: Path, size: int) -> tuple[str, str]:
        """Return the sha256 and the ETag S3 computes for this file (an MD5, or the MD5 of the
        part MD5s for a multipart upload), in one read."""
        from s3transfer.utils import ChunksizeAdjuster

        multipart = size >= self.multipart_threshold
        part = ChunksizeAdjuster().adjust_chunksize(self.multipart_chunksize, size)
        sha, whole, parts = hashlib.sha256(), hashlib.md5(), []
        with path.open("rb") as handle:
            while block := handle.read(part if multipart else _CHUNK):
                sha.update(block)
                if multipart:
                    parts.append(hashlib.md5(block).digest())
                else:
                    whole.update(block)
        if not multipart:
            return sha.hexdigest(), whole.hexdigest()
        return sha.hexdigest(), f"{hashlib.md5(b''.join(parts)).hexdigest()}-{len(parts)}"

    def _stream_sha256(self, full: str) -> str:
        body = self._call("reading", full, self.client.get_object, Bucket=self.bucket, Key=full)
        sha = hashlib.sha256()
        for block in body["Body"].iter_chunks(_CHUNK):
            sha.update(block)
        return sha.hexdigest()

    def get(self, key_or_uri: str, local_path: str | Path) -> Path:
        full, dst = self._key(key_or_uri), Path(local_path)
        with replacing(dst, unique=True) as tmp:
            self._call("downloading", full, self.client.download_file, self.bucket, full, str(tmp))
            expected = self._head(full)["Metadata"].get(SHA256_META)
            if expected and sha256_file(tmp) != expected:
                raise StoreError(f"{self.where}: download of {full} does not match its sha256")
        return dst

    def _head(self, full: str) -> dict[str, Any]:
        return self._call("reading", full, self.client.head_object, Bucket=self.bucket, Key=full)

    def exists(self, key_or_uri: str) -> bool:
        full = self._key(key_or_uri)
        try:
            self._head(full)
        except StoreError as err:
            if getattr(err, "code", None) in _MISSING_CODES:
                return False
            raise
        return True

    def list(self, prefix: str = "") -> list[str]:
        if ".." in prefix.split("/"):
            raise StoreError(f"invalid prefix {prefix!r}")
        root = f"{self.prefix}/" if self.prefix else ""
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=root + prefix.lstrip("/")
        )
        keys = []
        try:
            for page in pages:
                keys += [item["Key"][len(root) :] for item in page.get("Contents", [])]
        except Exception as err:  # noqa: BLE001 - translated, never swallowed
            raise self._error(err, "listing", root + prefix) from None
        return sorted(k for k in keys if not _hidden(k))

    def sha256(self, key_or_uri: str) -> str:
        full = self._key(key_or_uri)
        return self._head(full)["Metadata"].get(SHA256_META) or self._stream_sha256(full)

    def _call(self, action: str, key: str, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        try:
            return fn(*args, **kw)
        except StoreError:
            raise
        except Exception as err:  # noqa: BLE001 - translated, never swallowed
            raise self._error(err, action, key) from None

    def _error(self, err: BaseException, action: str, key: str) -> StoreError:
        """Return a StoreError naming the endpoint, the object and the S3 error code."""
        from botocore.exceptions import (
            ClientError,
            ConnectionError,
            HTTPClientError,
            NoCredentialsError,
        )

        where = f"{self.where}: {action} s3://{self.bucket}/{key}"
        cause = _root_cause(err, (ClientError, ConnectionError, HTTPClientError))
        if isinstance(cause, ClientError):
            info = cause.response.get("Error", {})
            code = str(info.get("Code", "?"))
            status = cause.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            if code in _CREDENTIAL_CODES:
                out = StoreError(
                    f"{where}: credentials refused ({code}); check AWS_ACCESS_KEY_ID and "
                    "AWS_SECRET_ACCESS_KEY (or the credentials file) for this endpoint"
                )
            else:
                transient = status >= 500 or code in ("SlowDown", "RequestTimeout")
                out = StoreError(f"{where}: {code}: {info.get('Message', '')}", transient=transient)
            out.code = code  # type: ignore[attr-defined]
            return out
        if isinstance(cause, ConnectionError | HTTPClientError):
            return StoreError(f"{where}: connection failed: {cause}", transient=True)
        if isinstance(err, NoCredentialsError):
            return StoreError(f"{where}: no credentials; set AWS_ACCESS_KEY_ID/_SECRET_ACCESS_KEY")
        return StoreError(f"{where}: {type(err).__name__}: {err}")


def _root_cause(err: BaseException, kinds: tuple[type, ...]) -> BaseException:
    """Return the first exception of `kinds` in `err`'s chain (boto3 wraps client errors)."""
    seen: BaseException | None = err
    while seen is not None:
        if isinstance(seen, kinds):
            return seen
        seen = getattr(seen, "last_exception", None) or seen.__cause__ or seen.__context__
    return err
