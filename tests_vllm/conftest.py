"""Fixtures for the vLLM tests, which run only in .venv-vllm (`make test-vllm`).

Engines and their outputs are built once per run and shared: each vLLM engine costs seconds to
start on two cores, and the tests compare the same eight generations in several ways.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from procsft.inference.models import ResolvedModel, materialize, resolve_model
from procsft.inference.protocol import Generation, GenerationRequest

# vLLM logs every engine step at INFO; a failing test's captured log stays readable.
os.environ.setdefault("VLLM_LOGGING_LEVEL", "WARNING")
# On two cores shared with other processes, OpenMP threads spinning while a peer is descheduled
# made vLLM's CPU decoding 5-10x slower and erratic (4-35 tok/s against a steady ~50). OpenMP
# reads this when torch loads, which none of the imports above does.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

PROMPTS = [
    "What is 17 times 3?",
    "Name three primary colors.",
    "Write a haiku about rain.",
    "What is the capital of France?",
    "Explain photosynthesis in one sentence.",
    "Sort these numbers: 5, 2, 9, 1.",
    "What day comes after Monday?",
    "Give a synonym for happy.",
]
REQUESTS = [
    GenerationRequest(messages=[{"role": "user", "content": p}], max_new_tokens=64) for p in PROMPTS
]
ENGINE = {"max_model_len": 1024, "kv_cache_gb": 0.5}
"""Small engines: the tests' prompts are short, and the machine has 24 GiB for everything."""


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory) -> Path:
    """A model cache private to this test run."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="session")
def tiny_qwen35(cache_dir) -> ResolvedModel:
    return resolve_model("tiny:qwen3.5", None, cache_dir)


def build_tiny_llama(out: Path, tokenizer_from: str) -> None:
    """Write a seeded random two-layer Llama with `tokenizer_from`'s tokenizer to `out`."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaConfig

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_from)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=128,
        intermediate_size=256,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        head_dim=64,  # vLLM's CPU attention rejects the tiny Qwen's head_dim=16
        max_position_embeddings=2048,
        tie_word_embeddings=True,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)


@pytest.fixture(scope="session")
def tiny_llama(cache_dir, tiny_qwen35) -> ResolvedModel:
    """A tiny random Llama with the tiny Qwen's tokenizer and chat template."""
    folder = materialize(
        cache_dir / "models" / "tiny-llama",
        lambda out: build_tiny_llama(out, tiny_qwen35.load_from),
    )
    return resolve_model(str(folder), None, cache_dir)


@pytest.fixture(scope="session")
def tiny_llama_thinking(cache_dir) -> ResolvedModel:
    """The tiny Llama with the thinking tiny Qwen's tokenizer, whose template has a switch."""
    thinking = resolve_model("tiny:qwen3.5-thinking", None, cache_dir)
    folder = materialize(
        cache_dir / "models" / "tiny-llama-thinking",
        lambda out: build_tiny_llama(out, thinking.load_from),
    )
    return resolve_model(str(folder), None, cache_dir)


@pytest.fixture(scope="session")
def smollm2(cache_dir) -> ResolvedModel:
    return resolve_model("embedded:smollm2-135m", None, cache_dir)


@pytest.fixture(scope="session")
def adapter(smollm2, tmp_path_factory) -> Path:
    """A seeded random LoRA adapter (r=8 on q and v) for SmolLM2, saved by PEFT."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(smollm2.load_from, dtype=torch.float32)
    torch.manual_seed(0)
    # init_lora_weights=False makes B non-zero, so the adapter changes the outputs.
    config = LoraConfig(r=8, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    out = tmp_path_factory.mktemp("adapter")
    get_peft_model(model, config).save_pretrained(out)
    return out


@pytest.fixture(scope="session")
def vllm_base(smollm2):
    from procsft.inference.vllm_backend import VllmGenerator

    return VllmGenerator(smollm2, **ENGINE)


@pytest.fixture(scope="session")
def vllm_lora(smollm2, adapter):
    from procsft.inference.vllm_backend import VllmGenerator

    return VllmGenerator(smollm2, adapter=adapter, max_lora_rank=8, **ENGINE)


@pytest.fixture(scope="session")
def hf_base(smollm2):
    from procsft.inference.transformers_backend import TransformersGenerator

    return TransformersGenerator(smollm2, device="cpu")


@pytest.fixture(scope="session")
def hf_lora(smollm2, adapter):
    from procsft.inference.transformers_backend import TransformersGenerator

    return TransformersGenerator(smollm2, device="cpu", adapter=adapter)


@pytest.fixture(scope="session")
def vllm_base_out(vllm_base) -> list[Generation]:
    return vllm_base.generate(REQUESTS)


@pytest.fixture(scope="session")
def vllm_lora_out(vllm_lora) -> list[Generation]:
    return vllm_lora.generate(REQUESTS)


@pytest.fixture(scope="session")
def hf_base_out(hf_base) -> list[Generation]:
    return hf_base.generate(REQUESTS)


@pytest.fixture(scope="session")
def hf_lora_out(hf_lora) -> list[Generation]:
    return hf_lora.generate(REQUESTS)
