"""GPU check (run on a CUDA machine, < 5 min): LoRA SFT throughput of a Qwen3.5-0.8B-shaped model.

Random weights in bf16 (no hub needed), LoRA on procsft's `auto` targets, 50 optimizer steps
on synthetic token sequences through procsft's own trainer settings (bf16 and activation
checkpointing on CUDA). Prints tokens/s and the model FLOPs utilisation (MFU): 6 × parameters
× tokens/s (forward 2N + backward 4N per token, the usual convention; activation checkpointing
adds a forward that MFU does not count) over the GPU's peak bf16 FLOP/s, measured here with a
large matmul.
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
import time
from pathlib import Path

import torch

from procsft.config import Recipe
from procsft.train import make_trainer

sys.path.insert(0, str(Path(__file__).parent))
from record import record  # noqa: E402

STEPS = 50
WARMUP_STEPS = 5
BATCH = 8
SEQ = 1024
RECIPE = Recipe(name="gpu-bench", batch_size=BATCH, max_length=SEQ, epochs=1)


def qwen35_08b_config():
    """Return a config with Qwen3.5-0.8B's published shapes (hybrid 3:1 linear:full)."""
    from transformers import Qwen3_5TextConfig

    layers = 24
    return Qwen3_5TextConfig(
        vocab_size=248320,
        hidden_size=1024,
        intermediate_size=3584,
        num_hidden_layers=layers,
        num_attention_heads=8,
        num_key_value_heads=2,
        head_dim=256,
        layer_types=[
            "full_attention" if (i + 1) % 4 == 0 else "linear_attention" for i in range(layers)
        ],
        linear_num_key_heads=16,
        linear_num_value_heads=16,
        linear_key_head_dim=128,
        linear_value_head_dim=128,
        tie_word_embeddings=True,
        pad_token_id=0,
        eos_token_id=1,
    )


def build_model(device: str):
    """Return the random Qwen3.5-0.8B-shaped model in bf16 on `device` (`meta`: no weights)."""
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    with torch.device(device):
        return AutoModelForCausalLM.from_config(qwen35_08b_config(), dtype=torch.bfloat16)


def _placeholder_tokenizer():
    """Return a two-token tokenizer: the data is already token ids, TRL only needs a pad id."""
    from tokenizers import Tokenizer, models
    from transformers import PreTrainedTokenizerFast

    vocab = {"<pad>": 0, "<eos>": 1}
    return PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer(models.WordLevel(vocab, unk_token="<pad>")),
        pad_token="<pad>",
        eos_token="<eos>",
    )


def peak_bf16_flops() -> float:
    """Return the FLOP/s of a large bf16 matmul: the practical peak of this GPU."""
    n, iterations = 8192, 50
    a = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
    for _ in range(5):
        a @ b
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(iterations):
        a @ b
    torch.cuda.synchronize()
    return 2 * n**3 * iterations / (time.perf_counter() - start)


def _step_clock():
    from transformers import TrainerCallback

    class StepClock(TrainerCallback):
        """Record when each optimizer step ends (after a sync, so the GPU work is done)."""

        def __init__(self):
            self.ends: list[float] = []

        def on_step_end(self, args, state, control, **kwargs):
            torch.cuda.synchronize()
            self.ends.append(time.perf_counter())

    return StepClock()


def main() -> None:
    if not torch.cuda.is_available():
        sys.exit("gpu_sft.py needs a CUDA GPU")
    peak = peak_bf16_flops()
    model = build_model("cuda")
    params = sum(p.numel() for p in model.parameters())  # the tied embedding counts once
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(2, model.config.vocab_size, (STEPS * BATCH, SEQ), generator=generator)
    data = [{"input_ids": row} for row in ids.tolist()]  # pre-tokenized: TRL skips the template
    tokenizer = _placeholder_tokenizer()
    with tempfile.TemporaryDirectory() as tmp:
        trainer = make_trainer(
            model, tokenizer, data, RECIPE, seed=0, output_dir=Path(tmp), device="cuda"
        )
        clock = _step_clock()
        trainer.add_callback(clock)
        trainer.train()
    timed = clock.ends[WARMUP_STEPS:]
    tokens_per_s = (len(timed) - 1) * BATCH * SEQ / (timed[-1] - timed[0])
    trainable = sum(p.numel() for p in trainer.model.parameters() if p.requires_grad)
    fla = importlib.util.find_spec("fla") is not None
    rows = [
        {"metric": "device", "value": torch.cuda.get_device_name()},
        {"metric": "parameters (M)", "value": round(params / 1e6, 1)},
        {"metric": "LoRA trainable parameters (M)", "value": round(trainable / 1e6, 2)},
        {"metric": "flash-linear-attention kernels", "value": "yes" if fla else "no (torch)"},
        {"metric": "steps × batch × sequence", "value": f"{STEPS} × {BATCH} × {SEQ}"},
        {"metric": "measured peak bf16 TFLOP/s (matmul)", "value": round(peak / 1e12, 1)},
        {"metric": "training tokens/s", "value": round(tokens_per_s, 1)},
        {"metric": "MFU (6 × params × tokens/s / peak)", "value": 6 * params * tokens_per_s / peak},
        {
            "metric": "peak GPU memory (GiB)",
            "value": round(torch.cuda.max_memory_allocated() / 2**30, 1),
        },
    ]
    record("gpu_sft", rows)


if __name__ == "__main__":
    main()
