"""Compute requests: CPU and memory for every step, GPUs for training and student rollouts."""

from dataclasses import dataclass

from kfp import dsl


@dataclass(frozen=True)
class Compute:
    cpu: str
    """CPU request (Kubernetes quantity)."""
    memory: str
    """Memory request and limit: a step over it is killed, not left to starve a node."""


CPU_STEP = Compute(cpu="2", memory="8Gi")
"""Validation, judging (API judges), analysis, registry, reference rollouts."""
TRAIN_STEP = Compute(cpu="8", memory="64Gi")
"""LoRA SFT up to 14B in bf16: the base model is loaded in host memory first."""
ROLLOUT_STEP = Compute(cpu="8", memory="48Gi")
"""A vLLM engine: weights pass through host memory, and its CPU swap space lives there."""
GPU_RESOURCE = "nvidia.com/gpu"
"""The extended resource the NVIDIA device plugin advertises."""
GPUS_PER_STEP = 1
"""One GPU per training or rollout step: up to 14B in bf16 fits one 80 GB card."""


def request(task: dsl.PipelineTask, compute: Compute) -> dsl.PipelineTask:
    """Return `task` with its CPU and memory requests (memory also as its limit)."""
    return (
        task.set_cpu_request(compute.cpu)
        .set_memory_request(compute.memory)
        .set_memory_limit(compute.memory)
    )


def request_gpus(task: dsl.PipelineTask, count: int = GPUS_PER_STEP) -> dsl.PipelineTask:
    """Return `task` asking for `count` GPUs.

    Fixed at compile time: KFP 2.17 does not pass a pipeline parameter used as an accelerator
    type or count into a ParallelFor, so a step in a loop would fail to resolve it."""
    return task.set_accelerator_type(GPU_RESOURCE).set_accelerator_limit(count)
