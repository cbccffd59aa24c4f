"""Log-probabilities of short continuations (a forced-choice judge's PASS / FAIL) after many
contexts, computed with as little work as the answer allows.

A forced-choice verdict costs one forward pass over a long grading prompt, so the pass is
what to save on:
- options of one token each are read from one row per context, at its last position (the
  tokens before a position decide its logits), instead of one row per context and option;
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
    single = all(len(e) == 1 for e in endings)
    # One token each: one row per context, the last position predicts them all.
    rows = list(contexts) if single else [c + e for c in contexts for e in endings]
    keep = 1 if single else max(map(len, endings)) + 1
    shared = _shared_prefix(model, rows, keep)
    device = next(model.parameters()).device
    prefix = _prefix_cache(model, rows[0][:shared], device) if shared else None
    order = sorted(range(len(rows)), key=lambda i: len(rows[i]))
    logprobs: dict[int, torch.Tensor] = {}
    for group in _groups(order, [len(r) - shared for r in rows]):
        suffixes = [rows[i][shared:] for i in group]
        scores = _last_logprobs(model, suffixes, keep, prefix, shared, pad_token_id, device)
        logprobs.update(zip(group, scores, strict=True))
    if single:
        return [[logprobs[c][-1, e[0]].item() for e in endings] for c in range(len(contexts))]
    out = []
    for c in range(len(contexts)):
        row_scores = []
        for k, ending in enumerate(endings):
            scores = logprobs[c * len(endings) + k]
            # Position keep-1 predicts the token after the row; the ending's tokens are the
            # last len(ending), predicted by the positions just before each.
            steps = range(keep - 1 - len(ending), keep - 1)
            row_scores.append(
                sum(scores[t, tok].item() for t, tok in zip(steps, ending, strict=True))
            )
        out.append(row_scores)
    return out


def _shared_prefix(model: Any, rows: Sequence[list[int]], keep: int) -> int:
    """Return how many leading tokens every row shares and can take from one cached pass: at
    least `keep` of each row stay to be run (their logits are read), and only a model whose
    every layer caches plain keys and values (no recurrent state) shares them."""
    if len(rows) < 2 or not _attention_only(model):
        return 0
    first, n = rows[0], min(len(r) for r in rows) - keep
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
        model(input_ids=torch.tensor([prefix], device=device), cache=cache, use_cache=True)
    return [(layer.keys, layer.values) for layer in cache.layers]


def _groups(order: list[int], lengths: list[int]) -> list[list[int]]:
    """Cut `order` (rows by increasing length) into runs of at most BATCH_TOKENS padded tokens."""
    groups: list[list[int]] = []
    for i in order:
        if groups and (len(groups[-1]) + 1) * lengths[i] <= BATCH_TOKENS:
            groups[-1].append(i)
        else:
            groups.append([i])
    return groups


def _last_logprobs(
    model: Any,
    suffixes: list[list[int]],
    keep: int,
    prefix: list[tuple] | None,
    shared: int,
    pad: int,
    device: Any,
) -> list[torch.Tensor]:
    """Return each row's log-softmax over its last `keep` positions; rows are left-padded
    after the shared prefix, with positions counted as in the row alone."""
    width = max(map(len, suffixes))
    ids = torch.tensor([[pad] * (width - len(s)) + s for s in suffixes])
    mask = torch.tensor([[0] * (width - len(s)) + [1] * len(s) for s in suffixes])
    positions = shared + (mask.cumsum(dim=1) - 1).clamp(min=0)
    kwargs: dict[str, Any] = {}
    if prefix is not None:
        rows = len(suffixes)
        mask = torch.cat([mask.new_ones(rows, shared), mask], dim=1)
        kwargs["cache"] = DynamicCache(
            ddp_cache_data=[
                (k.expand(rows, *k.shape[1:]), v.expand(rows, *v.shape[1:])) for k, v in prefix
            ]
        )
        kwargs["use_cache"] = True
    with torch.inference_mode():
        logits = model(
            input_ids=ids.to(device),
            attention_mask=mask.to(device),
            position_ids=positions.to(device),
            logits_to_keep=keep,
            **kwargs,
        ).logits.float()
    return list(logits.log_softmax(dim=-1))
