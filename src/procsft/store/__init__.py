"""Storage and tracking: artifact stores (local folder, S3), run manifests, MLflow, registry.

Only the artifact store is re-exported here; `procsft.store.manifest`, `.tracking`, `.registry`
are imported where used (MLflow and boto3 load only when called). The local services of
`make up` live in `procsft.services`.
"""

from procsft.hashing import sha256_file
from procsft.store.artifacts import ArtifactStore, LocalStore, StoreError
from procsft.store.s3 import S3Store
from procsft.store.stores import open_store

__all__ = ["ArtifactStore", "LocalStore", "S3Store", "StoreError", "open_store", "sha256_file"]
