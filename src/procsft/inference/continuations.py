"""Log-probabilities of short continuations (a forced-choice judge's PASS / FAIL) after many
contexts, computed with as little work as the answer allows.

A forced-choice verdict costs one forward pass over a long grading prompt, so the pass is
what to save on:
- one row per context, not one per context and option: every option's first token is read
  from the context's last position (the tokens before a position decide its logits), and the
  later tokens of longer options continue from the context's cache, one short pass;
- rows are sorted by length and cut into small batches, so little of a batch is padding;
- the contexts' common beginning (the grading instructions) is run once, and its keys and
  values are shared by every row.
Explicit positions and masks make every row compute what it would alone; what changes is the
shapes the matmuls see, so the judge's path records `continuations`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from transformers import DynamicCache
from transformers.cache_utils import DynamicLayer

from procsft.inference.decoding import CONTINUATIONS
from procsft.inference.greedy import cache_arguments, length_groups

__all__ = ["CONTINUATIONS", "continuation_logprobs"]

BATCH_TOKENS = 4096
"""Padded tokens per forward pass: enough rows for the matmuls to run at full speed."""
MIN_SHARED = 8
"""A common beginning shorter than this is not worth a pass of its own."""


def continuation_logprobs(
    model: Any,
    contexts: Sequence[list[int]],
    endings: Sequence[list[int]],
    pad_token_id: int,
) -> list[list[float]]:
    """Return, per context, the log-probability of each ending continuing it (summed over the
    ending's tokens)."""
    shared = _shared_prefix(model, contexts)
    device = next(model.parameters()).device
    prefix = _prefix_cache(model, contexts[0][:shared], device) if shared else None
    out: list[list[float]] = [[] for _ in contexts]
    for group in length_groups([len(c) - shared for c in contexts], BATCH_TOKENS):
        suffixes = [contexts[i][shared:] for i in group]
        scores = _group_scores(model, suffixes, endings, prefix, shared, pad_token_id, device)
        for i, row in zip(group, scores, strict=True):
            out[i] = row
    return out


def _shared_prefix(model: Any, rows: Sequence[list[int]]) -> int:
    """Return how many leading tokens every row shares and can take from one cached pass: at
    least one token of each row stays to be run (its logits are read), and only a model whose
    every layer caches plain keys and values (no recurrent state) shares them."""
    if len(rows) < 2 or not _attention_only(model):
        return 0
    first, n = rows[0], min(len(r) for r in rows) - 1
    shared = 0
    while shared < n and all(r[shared] == first[shared] for r in rows):
        shared += 1
    return shared if shared >= MIN_SHARED else 0


def _attention_only(model: Any) -> bool:
    cache = DynamicCache(config=model.config)
    return all(type(layer) is DynamicLayer for layer in cache.layers)


def _prefix_cache(model: Any, prefix: list[int], device: Any) -> list[tuple]:
    """Return every layer's keys and values of `prefix` run alone."""
    cache = DynamicCache(config=model.config)
    with torch.inference_mode():
        model(input_ids=torch.tensor([prefix], device=device), **cache_arguments(model, cache))
    return [(layer.keys, layer.values) for layer in cache.layers]


def _group_scores(
    model: Any,
    suffixes: list[list[int]],
    endings: Sequence[list[int]],
    prefix: list[tuple] | None,
    shared: int,
    pad: int,
    device: Any,
) -> list[list[float]]:
    """Return each row's ending scores: the rows (left-padded after the shared prefix, with
    positions counted as in the row alone) run once; the endings' first tokens are read from
    their last position, and endings of several tokens continue from the rows' cache."""
    rows, width = len(suffixes), max(map(len, suffixes))
    ids = torch.tensor([[pad] * (width - len(s)) + s for s in suffixes])
    mask = torch.tensor([[0] * (width - len(s)) + [1] * len(s) for s in suffixes])
    positions = shared + (mask.cumsum(dim=1) - 1).clamp(min=0)
    if prefix is None:
        cache = DynamicCache(config=model.config)
    else:
        mask = torch.cat([mask.new_ones(rows, shared), mask], dim=1)
        cache = DynamicCache(
            ddp_cache_data=[
                (k.expand(rows, *k.shape[1:]), v.expand(rows, *v.shape[1:])) for k, v in prefix
            ]
        )
    with torch.inference_mode():
        logits = model(
            input_ids=ids.to(device),
            attention_mask=mask.to(device),
            position_ids=positions.to(device),
            **cache_arguments(model, cache),
            logits_to_keep=1,
        ).logits.float()
    first = logits[:, -1].log_softmax(dim=-1)
    scores = [[first[r, e[0]].item() for e in endings] for r in range(rows)]
    longer = [k for k, e in enumerate(endings) if len(e) > 1]
    if longer:
        _continue_endings(model, cache, mask, positions, endings, longer, scores, pad, device)
    return scores


def _continue_endings(model, cache, mask, positions, endings, longer, scores, pad, device):
    """Add to `scores` the log-probabilities of the later tokens of the endings `longer`: each
    row's cache is repeated once per such ending, which runs on it (right-padded)."""
    rows, n = len(scores), len(longer)
    steps = max(len(endings[k]) - 1 for k in longer)
    repeat = torch.arange(rows, device=device).repeat_interleave(n)
    for layer in cache.layers:
        layer.reorder_cache(repeat)
    tails = [endings[k][:-1] for _ in range(rows) for k in longer]
    ids = torch.tensor([t + [pad] * (steps - len(t)) for t in tails])
    tail_mask = torch.tensor([[1] * len(t) + [0] * (steps - len(t)) for t in tails])
    mask = torch.cat([mask.repeat_interleave(n, dim=0), tail_mask], dim=1)
    start = positions[:, -1:].repeat_interleave(n, dim=0) + 1
    with torch.inference_mode():
        logits = model(
            input_ids=ids.to(device),
            attention_mask=mask.to(device),
            position_ids=(start + torch.arange(steps)).to(device),
            **cache_arguments(model, cache),
        ).logits.float()
    later = logits.log_softmax(dim=-1)
    for r in range(rows):
        for j, k in enumerate(longer):
            ending, row = endings[k], later[r * n + j]
            # Position t of the tail predicts the ending's token t + 1.
            scores[r][k] += sum(row[t, ending[t + 1]].item() for t in range(len(ending) - 1))
