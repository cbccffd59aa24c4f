"""KFP components, one per stage: each a thin typed function that calls `procsft` and copies
the rows it wrote into KFP artifacts. Task modifiers (resources, placement, secrets, retries,
caching, the runs volume) live beside them, one concern per module."""

from procsft_kfp.components.analyze import analyze
from procsft_kfp.components.distill import distill
from procsft_kfp.components.failure import record_failure
from procsft_kfp.components.images import BASE_IMAGE, ROLLOUT_IMAGE, TRAIN_IMAGE, Images
from procsft_kfp.components.judge import judge
from procsft_kfp.components.publish import publish
from procsft_kfp.components.rollout import rollout
from procsft_kfp.components.shards import collect_shards
from procsft_kfp.components.train import train
from procsft_kfp.components.validate import validate

__all__ = [
    "BASE_IMAGE",
    "ROLLOUT_IMAGE",
    "TRAIN_IMAGE",
    "Images",
    "analyze",
    "collect_shards",
    "distill",
    "judge",
    "publish",
    "record_failure",
    "rollout",
    "train",
    "validate",
]
