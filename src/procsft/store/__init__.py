"""Storage and tracking: artifact stores (local folder, S3), run manifests, MLflow, registry.

Only the artifact store is re-exported here; `procsft.store.manifest`, `.tracking`, `.registry`
and `.services` are imported where used (MLflow and boto3 load only when called).
"""

from procsft.store.artifacts import (
    ArtifactStore,
    LocalStore,
    S3Store,
    StoreError,
    open_store,
    sha256_file,
)

__all__ = ["ArtifactStore", "LocalStore", "S3Store", "StoreError", "open_store", "sha256_file"]
