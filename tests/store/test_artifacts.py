"""Artifact stores: a local folder, and S3 through a real SeaweedFS server."""

from __future__ import annotations

import hashlib
import os
import signal
import threading
from pathlib import Path

import pytest

from procsft.config import Storage
from procsft.services import start, status
from procsft.store import LocalStore, S3Store, StoreError, open_store, sha256_file
from tests.store.conftest import s3_store_for

MIB = 1 << 20


def _file(path: Path, size: int) -> Path:
    path.write_bytes(os.urandom(size))
    return path


def test_local_store_round_trip(tmp_path):
    store = LocalStore(tmp_path / "store")
    src = _file(tmp_path / "a.bin", 1000)
    uri = store.put(src, "run/sub/a.bin")
    assert uri == (tmp_path / "store" / "run" / "sub" / "a.bin").as_uri()
    assert store.exists("run/sub/a.bin") and not store.exists("run/b.bin")
    assert store.list() == ["run/sub/a.bin"] == store.list("run/s")
    assert store.list("other") == []
    assert store.sha256(uri) == sha256_file(src)
    assert store.get(uri, tmp_path / "back.bin").read_bytes() == src.read_bytes()
    assert not [p for p in (tmp_path / "store").rglob("*") if p.name.endswith(".tmp")]
    with pytest.raises(StoreError, match="invalid artifact key"):
        store.put(src, "../escape")


def test_open_store_picks_the_backend(tmp_path):
    assert isinstance(open_store(f"file://{tmp_path}"), LocalStore)
    assert open_store(Storage(runs_dir=tmp_path)).uri == tmp_path.resolve().as_uri()
    store = open_store(Storage(artifacts="s3://bkt/some/prefix", s3_endpoint_url="http://x:1"))
    assert isinstance(store, S3Store)
    assert (store.bucket, store.prefix, store.endpoint_url) == ("bkt", "some/prefix", "http://x:1")
    assert store.uri_for("r/a.txt") == "s3://bkt/some/prefix/r/a.txt"
    with pytest.raises(StoreError, match="unsupported"):
        open_store("gs://bucket/x")


def test_s3_round_trip_and_listing(s3_store, tmp_path):
    a = _file(tmp_path / "a.txt", 10)
    b = _file(tmp_path / "b.txt", 0)
    uri = s3_store.put(a, "run1/a.txt")
    s3_store.put(b, "run1/sub/b.txt")
    s3_store.put(a, "run2/a.txt")
    assert uri == f"s3://{s3_store.bucket}/{s3_store.prefix}/run1/a.txt"
    assert s3_store.list() == ["run1/a.txt", "run1/sub/b.txt", "run2/a.txt"]
    assert s3_store.list("run1/") == ["run1/a.txt", "run1/sub/b.txt"]
    assert s3_store.exists(uri) and not s3_store.exists("run1/missing")
    assert s3_store.sha256("run1/sub/b.txt") == hashlib.sha256(b"").hexdigest()
    assert s3_store.get(uri, tmp_path / "out" / "a.txt").read_bytes() == a.read_bytes()
    # put_tree sends only what the store lacks.
    tree = tmp_path / "tree"
    (tree / "d").mkdir(parents=True)
    _file(tree / "d" / "x.bin", 100)
    (tree / ".hidden.tmp").write_text("never published")
    first = s3_store.put_tree(tree, "run3")
    assert list(first) == ["d/x.bin"]
    sent = []
    s3_store.client.meta.events.register("before-call.s3.PutObject", lambda **kw: sent.append(1))
    assert s3_store.put_tree(tree, "run3") == first and sent == []


def test_s3_multipart_upload_of_50_mb(services, tmp_path):
    store = s3_store_for(services, multipart_threshold=8 * MIB, multipart_chunksize=8 * MIB)
    big = _file(tmp_path / "big.bin", 50 * MIB)
    parts = []
    store.client.meta.events.register("before-call.s3.UploadPart", lambda **kw: parts.append(1))
    store.put(big, "run/big.bin")
    assert len(parts) == 7  # 50 MiB in 8 MiB parts
    assert store.sha256("run/big.bin") == sha256_file(big)
    assert sha256_file(store.get("run/big.bin", tmp_path / "back.bin")) == sha256_file(big)
    assert store.list() == ["run/big.bin"]  # the temporary upload is gone


@pytest.mark.parametrize("access", ["wrong-access-key", None])
def test_wrong_credentials_are_refused_clearly(services, tmp_path, access):
    secret = "wrong-secret-d8f3a9c1"
    store = S3Store(
        services.bucket,
        "refused",
        endpoint_url=services.s3_url,
        access_key=access or "procsft-local",
        secret_key=secret,
        attempts=1,
    )
    with pytest.raises(StoreError) as err:
        store.put(_file(tmp_path / "a.txt", 5), "a.txt")
    message = str(err.value)
    code = "InvalidAccessKeyId" if access else "SignatureDoesNotMatch"
    assert code in message and services.s3_url in message
    assert secret not in message
    assert not err.value.transient


def _kill_weed(services) -> None:
    """SIGKILL weed and return once it is gone (a dying weed still counts as running)."""
    pid = status(services.root)["weed"]["pid"]
    os.killpg(pid, signal.SIGKILL)
    os.waitpid(pid, 0)  # our child: reaped here, or it lingers as a zombie after the tests


def _killing_callback(services, after: int, restart: bool):
    """Return a boto3 progress callback that SIGKILLs weed once `after` bytes went out (and
    starts it again in a background thread when `restart`), and the list that thread joins."""
    sent, threads, lock = [0], [], threading.Lock()

    def callback(n: int) -> None:
        with lock:  # boto3 reports progress from several upload threads at once
            sent[0] += n
            if sent[0] < after or threads:
                return
            _kill_weed(services)
            thread = threading.Thread(target=start, args=(services, ("weed",)), daemon=True)
            threads.append(thread)
            if restart:
                thread.start()

    return callback, threads


def test_upload_killed_mid_way_is_retried_after_restart(services, tmp_path):
    store = s3_store_for(
        services,
        multipart_threshold=5 * MIB,
        multipart_chunksize=5 * MIB,
        max_attempts=8,
        attempts=4,
    )
    big = _file(tmp_path / "big.bin", 30 * MIB)
    callback, threads = _killing_callback(services, after=10 * MIB, restart=True)
    try:
        store.put(big, "run/big.bin", callback=callback)
    except StoreError:
        # Failing is allowed, but cleanly: nothing under the final key.
        threads[0].join(120)
        assert not store.exists("run/big.bin")
    else:
        assert store.sha256("run/big.bin") == sha256_file(big)
        assert sha256_file(store.get("run/big.bin", tmp_path / "b")) == sha256_file(big)
    finally:
        if threads:
            threads[0].join(120)  # the server is whole again before the next test
    assert threads and status(services.root)["weed"]["running"]
    assert store.list() in ([], ["run/big.bin"])


def test_upload_fails_cleanly_when_the_server_stays_down(services, tmp_path):
    store = s3_store_for(
        services,
        multipart_threshold=5 * MIB,
        multipart_chunksize=5 * MIB,
        max_attempts=2,
        attempts=1,
        connect_timeout=1,
    )
    big = _file(tmp_path / "big.bin", 20 * MIB)
    callback, threads = _killing_callback(services, after=6 * MIB, restart=False)
    try:
        with pytest.raises(StoreError) as err:
            store.put(big, "run/big.bin", callback=callback)
        assert threads and services.s3_url in str(err.value)
    finally:
        start(services, ("weed",))
    assert not store.exists("run/big.bin")
    assert store.list() == []
