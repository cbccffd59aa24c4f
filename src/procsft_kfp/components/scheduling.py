"""Node placement: a node selector and tolerations that put GPU steps on the GPU pool."""

from kfp import dsl, kubernetes

GPU_POOL_SELECTOR = {"procsft.io/pool": "gpu"}
"""The label `k8s/gpu-pool.yaml` gives the GPU nodes (the default of a pipeline parameter)."""
GPU_POOL_TOLERATIONS = [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
"""The taint GPU pools carry so that CPU pods stay off them; tolerated by every GPU step."""


def place(task: dsl.PipelineTask, node_selector: dict, tolerations: list) -> dsl.PipelineTask:
    """Return `task` on the GPU pool: `node_selector` and the extra `tolerations` are pipeline
    parameters (the `_json` variants), so each run or recurring run can name its own pool.

    The pool's own taint is tolerated at compile time: a list-of-dicts parameter default would
    make the compiled YAML's header differ between compiles (protobuf map order)."""
    kubernetes.add_node_selector_json(task, node_selector)
    kubernetes.add_toleration_json(task, GPU_POOL_TOLERATIONS)
    kubernetes.add_toleration_json(task, tolerations)
    return task
