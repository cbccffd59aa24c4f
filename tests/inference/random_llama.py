"""A random Llama for tests that need replies that differ from row to row."""

import torch
from transformers import LlamaConfig, LlamaForCausalLM


def random_llama():
    """A 2-layer Llama (SmolLM2's architecture) with large random weights: unlike the tiny
    test model its greedy replies differ from row to row."""
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=256,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        initializer_range=0.5,
    )
    return LlamaForCausalLM(config).eval()
