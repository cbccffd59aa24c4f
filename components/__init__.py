"""KFP components, one per stage: each a thin typed function that calls `procsft` and copies
the rows it wrote into KFP artifacts. Task modifiers (resources, placement, secrets, retries,
caching, the runs volume) live beside them, one concern per module."""

from components.analyze import analyze
from components.distill import distill
from components.failure import record_failure
from components.images import BASE_IMAGE, ROLLOUT_IMAGE, TRAIN_IMAGE, Images
from components.judge import judge
from components.publish import publish
from components.rollout import rollout
from components.train import train
from components.validate import validate

__all__ = [
    "BASE_IMAGE",
    "ROLLOUT_IMAGE",
    "TRAIN_IMAGE",
    "Images",
    "analyze",
    "distill",
    "judge",
    "publish",
    "record_failure",
    "rollout",
    "train",
    "validate",
]
