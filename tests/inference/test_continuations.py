"""Continuation log-probabilities (the forced-choice verdict): shared prefix, one row per
context for one-token options, length-sorted batches; each equals the row run alone."""

import pytest
import torch

from procsft.inference import continuations
from procsft.inference.continuations import continuation_logprobs
from tests.inference.random_llama import random_llama


def _alone(model, context, ending):
    """The log-probability of `ending` after `context`, one unpadded row, nothing shared."""
    with torch.inference_mode():
        logits = model(input_ids=torch.tensor([context + ending])).logits[0]
    steps = logits.float().log_softmax(-1)[len(context) - 1 : -1]
    return sum(steps[i, t].item() for i, t in enumerate(ending))


def _contexts():
    """Contexts that share 20 leading tokens (the grading instructions), then differ in
    content and length, in no length order."""
    gen = torch.Generator().manual_seed(3)
    shared = torch.randint(1, 256, (20,), generator=gen).tolist()
    return [shared + torch.randint(1, 256, (n,), generator=gen).tolist() for n in (9, 2, 30, 5)]


@pytest.mark.parametrize("endings", [[[7], [9]], [[7], [9, 11, 13]]], ids=["one", "several"])
def test_each_score_is_the_row_alone(endings, monkeypatch):
    model = random_llama()
    seen = []
    real = continuations._group_scores
    monkeypatch.setattr(
        continuations,
        "_group_scores",
        lambda m, suffixes, *a: seen.append([len(s) for s in suffixes]) or real(m, suffixes, *a),
    )
    monkeypatch.setattr(continuations, "BATCH_TOKENS", 40)  # several batches
    contexts = _contexts()
    scores = continuation_logprobs(model, contexts, endings, pad_token_id=0)
    for context, row in zip(contexts, scores, strict=True):
        for ending, score in zip(endings, row, strict=True):
            assert score == pytest.approx(_alone(model, context, ending), abs=1e-4)
    runs = [n for batch in seen for n in batch]
    assert runs == sorted(runs) and len(seen) > 1  # sorted by length, cut into batches
    assert max(runs) == 30  # the 20 shared tokens ran once, apart


def test_a_context_is_one_row_whatever_the_options(monkeypatch):
    model = random_llama()
    rows = []
    real = continuations._group_scores
    monkeypatch.setattr(
        continuations,
        "_group_scores",
        lambda m, suffixes, *a: rows.extend(suffixes) or real(m, suffixes, *a),
    )
    continuation_logprobs(model, _contexts(), [[7], [9, 11]], pad_token_id=0)
    assert len(rows) == 4
