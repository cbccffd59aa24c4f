"""GPU check (run on a CUDA machine, < 5 min): batched generation of a Qwen3.5-0.8B-shaped model.

Random weights in bf16 (no hub needed). Prints tokens/s at batch 1, 8 and 64 and each against
the memory-bandwidth bound: a decode step reads every weight once, so tokens/s cannot exceed
batch × (bandwidth / weight bytes); the bandwidth is measured here with a device copy.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from record import record  # noqa: E402

NEW_TOKENS = 128
PROMPT_TOKENS = 256


def qwen35_08b_shaped():
    """Return a random model with Qwen3.5-0.8B's published shapes, bf16, on the GPU."""
    from gpu_sft import qwen35_08b_config
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    config = qwen35_08b_config()
    return AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16).cuda().eval()


def bandwidth_bytes_per_s() -> float:
    """Return device memory bandwidth measured by copying 2 GiB (read + write)."""
    src = torch.empty(2**30, dtype=torch.uint8, device="cuda")
    dst = torch.empty_like(src)
    dst.copy_(src)
    torch.cuda.synchronize()
    start, n = time.perf_counter(), 20
    for _ in range(n):
        dst.copy_(src)
    torch.cuda.synchronize()
    return 2 * src.numel() * n / (time.perf_counter() - start)


def tokens_per_s(model, batch: int) -> float:
    ids = torch.randint(0, model.config.vocab_size, (batch, PROMPT_TOKENS), device="cuda")
    kwargs = {"max_new_tokens": NEW_TOKENS, "min_new_tokens": NEW_TOKENS, "do_sample": False}
    with torch.inference_mode():
        model.generate(ids, max_new_tokens=4, do_sample=False)  # warm-up
        torch.cuda.synchronize()
        start = time.perf_counter()
        model.generate(ids, **kwargs)
        torch.cuda.synchronize()
    return batch * NEW_TOKENS / (time.perf_counter() - start)


def main() -> None:
    if not torch.cuda.is_available():
        sys.exit("gpu_rollout.py needs a CUDA GPU")
    model = qwen35_08b_shaped()
    weight_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
    bandwidth = bandwidth_bytes_per_s()
    rows = [
        {"metric": "device", "value": torch.cuda.get_device_name()},
        {"metric": "weights GB (bf16)", "value": round(weight_bytes / 1e9, 3)},
        {"metric": "measured bandwidth GB/s", "value": round(bandwidth / 1e9, 1)},
    ]
    for batch in (1, 8, 64):
        measured = tokens_per_s(model, batch)
        bound = batch * bandwidth / weight_bytes
        rows.append({"metric": f"batch {batch}: tokens/s", "value": round(measured, 1)})
        rows.append(
            {"metric": f"batch {batch}: fraction of bandwidth bound", "value": measured / bound}
        )
    record("gpu_rollout", rows)


if __name__ == "__main__":
    main()
