"""Real services for the store tests: SeaweedFS (S3) and an MLflow server, started once per test
session on free loopback ports in a temporary folder, and always stopped."""

from __future__ import annotations

import uuid

import pytest

from procsft.services import Settings, settings_with_free_ports, start, stop
from procsft.store.s3 import S3Store


@pytest.fixture(scope="session")
def services(tmp_path_factory) -> Settings:
    root = tmp_path_factory.mktemp("services")
    settings = settings_with_free_ports(root)
    try:
        # Both start together; a fresh MLflow database takes 5-20 s on 2 busy cores.
        start(settings, timeout_s=180)
        yield settings
    finally:
        stop(root, wait_s=1.0)


@pytest.fixture
def s3_store(services) -> S3Store:
    """An S3 store under a prefix of its own, through the keys `up` generated."""
    return s3_store_for(services)


def s3_store_for(services: Settings, **options) -> S3Store:
    return S3Store(
        services.bucket,
        f"test-{uuid.uuid4().hex[:8]}",
        endpoint_url=services.s3_url,
        credentials_file=services.credentials_file,
        **options,
    )
