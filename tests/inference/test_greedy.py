"""procsft's greedy loop (finished rows leave the batch, preallocated KV cache) against
`model.generate` on the same padded batch."""

from contextlib import nullcontext

import pytest
import torch

from procsft.inference import greedy
from procsft.inference.greedy import (
    PreallocatedLayer,
    cache_arguments,
    greedy_generate,
    preallocated_cache,
)
from procsft.inference.protocol import GenerationRequest
from tests.inference.random_llama import random_llama


def _requests(n, max_new_tokens):
    return [
        GenerationRequest(
            messages=[
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "What is " + "2 + " * (3 * i) + "1? ANSWER:"},
            ],
            max_new_tokens=max_new_tokens,
        )
        for i in range(n)
    ]


def _batch(generator, requests):
    texts = [generator.render(r.messages) for r in requests]
    return generator.tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False)


def _hf_generate(generator, batch, max_new_tokens, stop_ids):
    with torch.inference_mode():
        out = generator.model.generate(
            **batch,
            max_new_tokens=max_new_tokens,
            do_sample=False,
            temperature=None,
            top_p=None,
            top_k=None,
            eos_token_id=stop_ids,
            pad_token_id=generator.tokenizer.pad_token_id,
        )
    return out[:, batch["input_ids"].shape[1] :].tolist()


def _ours(generator, batch, max_new_tokens, stop_ids):
    with torch.inference_mode():
        return greedy_generate(
            generator.model,
            batch["input_ids"],
            batch["attention_mask"],
            max_new_tokens=max_new_tokens,
            stop_ids=stop_ids,
            pad_token_id=generator.tokenizer.pad_token_id,
        )


def test_equals_generate_token_for_token(tiny_generator):
    batch = _batch(tiny_generator, _requests(6, 24))
    stops = tiny_generator.stop_ids
    assert _ours(tiny_generator, batch, 24, stops) == _hf_generate(tiny_generator, batch, 24, stops)


@pytest.mark.parametrize("prefill_tokens", [4096, 12], ids=["one-prefill", "by-length"])
def test_rows_that_stop_early_leave_the_batch_and_the_rest_are_unchanged(
    prefill_tokens, monkeypatch
):
    """Rows finish at different steps (a quarter of the vocabulary stops them), left-padded
    prompts of different lengths, prefilled in one pass or a few by length: each row gets
    exactly the ids `generate` gives it, padded with the pad id to the longest row."""
    monkeypatch.setattr(greedy, "PREFILL_TOKENS", prefill_tokens)
    model = random_llama()
    lengths = [9, 4, 7, 1, 9, 6]
    ids = torch.randint(1, 256, (len(lengths), 9), generator=torch.Generator().manual_seed(1))
    mask = torch.tensor([[0] * (9 - n) + [1] * n for n in lengths])
    ids = ids.masked_fill(mask == 0, 0)
    stops = list(range(192, 256))
    with torch.inference_mode():
        expected = model.generate(
            input_ids=ids,
            attention_mask=mask,
            max_new_tokens=12,
            do_sample=False,
            eos_token_id=stops,
            pad_token_id=0,
        )[:, 9:].tolist()
        ours = greedy_generate(model, ids, mask, max_new_tokens=12, stop_ids=stops, pad_token_id=0)
    assert ours == expected
    stopped_at = {next((i for i, t in enumerate(row) if t in stops), None) for row in ours}
    assert len(stopped_at) >= 3  # rows finished at different steps: the batch shrank


def test_generator_replies_equal_generate(tiny_generator):
    requests = _requests(5, 16)
    batch = _batch(tiny_generator, requests)
    expected = _hf_generate(tiny_generator, batch, 16, tiny_generator.stop_ids)
    got = tiny_generator.generate(requests)
    assert [list(g.token_ids) for g in got] == expected
    assert tiny_generator.path["greedy_decoder"]


def test_preallocated_cache_holds_what_concatenation_would(tiny_model):
    from transformers import AutoModelForCausalLM, DynamicCache

    model = AutoModelForCausalLM.from_pretrained(tiny_model.load_from).eval()
    ids = torch.randint(3, 500, (3, 9), generator=torch.Generator().manual_seed(0))
    grown, ours = DynamicCache(config=model.config), preallocated_cache(model.config, 12)
    logits = []
    with torch.inference_mode():
        for cache in (grown, ours):
            model(input_ids=ids[:, :6], **cache_arguments(model, cache))
            model(input_ids=ids[:, 6:7], **cache_arguments(model, cache))
            for layer in cache.layers:  # the middle row finished
                layer.reorder_cache(torch.tensor([0, 2]))
            logits.append(model(input_ids=ids[[0, 2], 7:9], **cache_arguments(model, cache)).logits)
    assert torch.equal(*logits)
    attention = [
        (mine, theirs)
        for mine, theirs in zip(ours.layers, grown.layers, strict=True)
        if isinstance(mine, PreallocatedLayer)
    ]
    assert attention  # the tiny model's full-attention layer is preallocated
    for mine, theirs in attention:
        assert mine.keys.shape == theirs.keys.shape == (2, 2, 9, 16)
        assert torch.equal(mine.keys, theirs.keys) and torch.equal(mine.values, theirs.values)


def test_an_unmerged_adapter_and_its_disabled_base_equal_generate(monkeypatch):
    """The adapter probe runs the loop on a PEFT model, with and without its adapter."""
    from peft import LoraConfig, get_peft_model

    monkeypatch.setattr(greedy, "PREFILL_TOKENS", 12)
    torch.manual_seed(1)
    lora = LoraConfig(r=4, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    model = get_peft_model(random_llama(), lora).eval()
    ids = torch.randint(1, 256, (3, 6), generator=torch.Generator().manual_seed(2))
    mask = torch.tensor([[0, 0, 1, 1, 1, 1], [1] * 6, [0, 0, 0, 0, 1, 1]])
    kwargs = {"max_new_tokens": 8, "pad_token_id": 0}
    for adapter in (nullcontext(), model.disable_adapter()):
        with torch.inference_mode(), adapter:
            expected = model.generate(
                input_ids=ids, attention_mask=mask, do_sample=False, eos_token_id=[255], **kwargs
            )[:, 6:].tolist()
            ours = greedy_generate(model, ids, mask, stop_ids=[255], **kwargs)
        assert ours == expected
