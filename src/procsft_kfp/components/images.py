"""The container image of each kind of step, as built from `images/` by `make images`."""

from dataclasses import dataclass
from importlib.metadata import version

REGISTRY = "ghcr.io/procsft"
TAG = version("procsft")  # images are built from this package version, so they move together

BASE_IMAGE = f"{REGISTRY}/procsft-base:{TAG}"
"""CPU: validate, judge, analyze, publish, reference rollouts (API calls), distillation with the
programmatic or an API teacher."""
TRAIN_IMAGE = f"{REGISTRY}/procsft-train:{TAG}"
"""CUDA torch with TRL, PEFT and bitsandbytes: SFT, distillation with a local model teacher."""
ROLLOUT_IMAGE = f"{REGISTRY}/procsft-rollout:{TAG}"
"""vLLM: student rollouts."""


@dataclass(frozen=True)
class Images:
    """The three images a pipeline runs; another registry or tag needs only a recompile."""

    base: str = BASE_IMAGE
    train: str = TRAIN_IMAGE
    rollout: str = ROLLOUT_IMAGE

    @classmethod
    def at(cls, registry: str = REGISTRY, tag: str = TAG) -> "Images":
        """Return the images named `<registry>/procsft-<kind>:<tag>`."""
        return cls(*(f"{registry}/procsft-{kind}:{tag}" for kind in ("base", "train", "rollout")))


IMAGES = Images()
"""The images `make images` builds."""
