"""Greedy decoding of a padded batch that stops computing a row once it has finished.

`model.generate` keeps every row in the batch until the longest reply ends: a row that met its
stop token still runs every layer on pad tokens. Here a finished row leaves the batch (its
cache rows are dropped), and the KV cache is one buffer per layer sized for the whole reply,
written in place, instead of a tensor concatenated anew at every step. Each remaining row gets
the same inputs as under `generate` (its tokens, its attention mask, positions counted from
the cache); only the batch shrinks. The path records it as `greedy_decoder` (see
`transformers_backend`): matmul shapes change, which floating point may see.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from transformers import DynamicCache
from transformers.cache_utils import DynamicLayer

from procsft.inference.decoding import GREEDY_DECODER

__all__ = ["GREEDY_DECODER", "greedy_generate", "preallocated_cache"]


class PreallocatedLayer(DynamicLayer):
    """One attention layer's keys and values in buffers sized for prompt + reply: a step
    writes its token into place; attention reads a view of the filled part, whose shape is
    the one `DynamicLayer` would have built by concatenation."""

    def __init__(self, capacity: int):
        super().__init__()
        self.capacity = capacity
        self.length = 0

    def lazy_initialization(self, key_states: torch.Tensor, value_states: torch.Tensor) -> None:
        batch, heads, _, dim = key_states.shape
        self.device = key_states.device
        self.key_buffer = key_states.new_empty(batch, heads, self.capacity, dim)
        value_dim = value_states.shape[-1]
        self.value_buffer = value_states.new_empty(batch, heads, self.capacity, value_dim)
        self.is_initialized = True

    def update(self, key_states: torch.Tensor, value_states: torch.Tensor, *args, **kwargs):
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        start, self.length = self.length, self.length + key_states.shape[-2]
        if self.length > self.capacity:
            raise ValueError(f"KV cache holds {self.capacity} positions, {self.length} asked")
        self.key_buffer[:, :, start : self.length] = key_states
        self.value_buffer[:, :, start : self.length] = value_states
        self._views()
        return self.keys, self.values

    def _views(self) -> None:
        self.keys = self.key_buffer[:, :, : self.length]
        self.values = self.value_buffer[:, :, : self.length]

    def reorder_cache(self, beam_idx: torch.LongTensor) -> None:
        """Keep the rows `beam_idx` (copies only the filled positions)."""
        if not self.is_initialized:
            return
        for name in ("key_buffer", "value_buffer"):
            old = getattr(self, name)
            new = old.new_empty(len(beam_idx), *old.shape[1:])
            new[:, :, : self.length] = old[beam_idx.to(old.device), :, : self.length]
            setattr(self, name, new)
        self._views()


def preallocated_cache(config: Any, capacity: int) -> DynamicCache:
    """Return the model's own dynamic cache with every plain attention layer preallocated
    (sliding-window and linear-attention layers keep their own cache)."""
    cache = DynamicCache(config=config)
    if not cache.layers:  # no layer types in the config: every layer is full attention
        cache.layers = [DynamicLayer() for _ in range(config.num_hidden_layers)]
        cache.layer_class_to_replicate = None
    cache.layers = [
        PreallocatedLayer(capacity) if type(layer) is DynamicLayer else layer
        for layer in cache.layers
    ]
    return cache


def greedy_generate(
    model: Any,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    *,
    max_new_tokens: int,
    stop_ids: Sequence[int],
    pad_token_id: int,
) -> list[list[int]]:
    """Return each row's new token ids as `generate` would (greedy, left-padded prompts): up to
    and including its first stop id, then pad ids up to the longest row's length."""
    rows = input_ids.shape[0]
    config = model.config
    cache = preallocated_cache(config, input_ids.shape[1] + max_new_tokens)
    stops = torch.tensor(list(stop_ids), device=input_ids.device)
    new: list[list[int]] = [[] for _ in range(rows)]
    active = list(range(rows))  # batch row → original row
    mask = attention_mask
    logits = model(
        input_ids=input_ids, attention_mask=mask, cache=cache, use_cache=True, logits_to_keep=1
    ).logits
    for step in range(max_new_tokens):
        # As `generate`: the last position's logits in float32, the first maximum.
        tokens = logits[:, -1].to(dtype=torch.float32).argmax(dim=-1)
        for row, token in zip(active, tokens.tolist(), strict=True):
            new[row].append(token)
        if step == max_new_tokens - 1:
            break
        running = ~torch.isin(tokens, stops)
        if not running.any():
            break
        if not running.all():
            keep = running.nonzero().squeeze(1)
            for layer in cache.layers:
                layer.reorder_cache(keep)
            active = [active[i] for i in keep.tolist()]
            mask, tokens = mask[keep], tokens[keep]
        mask = torch.cat([mask, mask.new_ones(len(active), 1)], dim=1)
        logits = model(
            input_ids=tokens[:, None], attention_mask=mask, cache=cache, use_cache=True
        ).logits
    width = max(map(len, new))
    return [ids + [pad_token_id] * (width - len(ids)) for ids in new]
