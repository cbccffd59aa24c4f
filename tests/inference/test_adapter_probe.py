"""Adapters on the transformers engine, and the probe that proves an adapter is applied."""

import pytest
import torch

from procsft.inference.probe import AdapterNotApplied, check_adapter_effect
from procsft.inference.protocol import GenerationRequest
from procsft.inference.transformers_backend import TransformersGenerator

PROMPTS = ["What is 2 + 2?", "Name a colour.", "Count to three.", "Say hello."]


def _save_adapter(model_dir, out, *, trained: bool):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    # PEFT starts LoRA's B matrix at zero, an adapter that changes nothing; init=False makes
    # both matrices random, standing in for a trained adapter.
    config = LoraConfig(
        r=8, lora_alpha=64, target_modules=["q_proj", "v_proj"], init_lora_weights=not trained
    )
    get_peft_model(model, config).save_pretrained(out)
    return out


@pytest.fixture(scope="module")
def adapters(tiny_model, tmp_path_factory):
    root = tmp_path_factory.mktemp("adapters")
    return {
        "trained": _save_adapter(tiny_model.load_from, root / "trained", trained=True),
        "zero": _save_adapter(tiny_model.load_from, root / "zero", trained=False),
    }


def _texts(generator):
    requests = [
        GenerationRequest(messages=[{"role": "user", "content": p}], max_new_tokens=16)
        for p in PROMPTS
    ]
    return [g.text for g in generator.generate(requests)]


def test_adapter_changes_outputs_and_merged_mode_matches(tiny_generator, tiny_model, adapters):
    adapted = TransformersGenerator(tiny_model, device="cpu", adapter=adapters["trained"])
    merged = TransformersGenerator(
        tiny_model, device="cpu", adapter=adapters["trained"], merge_adapter=True
    )
    assert _texts(adapted) != _texts(tiny_generator)
    assert _texts(merged) == _texts(adapted)
    assert adapted.path["adapter_sha256"] and tiny_generator.path["adapter_sha256"] is None
    differing = {k for k in adapted.path if adapted.path[k] != tiny_generator.path[k]}
    assert differing == {"adapter_sha256"}


def test_probe_passes_a_trained_adapter(tiny_generator, tiny_model, adapters):
    adapted = TransformersGenerator(tiny_model, device="cpu", adapter=adapters["trained"])
    assert check_adapter_effect(tiny_generator, adapted, PROMPTS) >= 1


def test_probe_stops_on_an_adapter_that_changes_nothing(tiny_generator, tiny_model, adapters):
    adapted = TransformersGenerator(tiny_model, device="cpu", adapter=adapters["zero"])
    with pytest.raises(AdapterNotApplied, match="changes none of 4 probe outputs"):
        check_adapter_effect(tiny_generator, adapted, PROMPTS)


def _token_ids(generator):
    requests = [
        GenerationRequest(messages=[{"role": "user", "content": p}], max_new_tokens=16)
        for p in PROMPTS
    ]
    return [g.token_ids for g in generator.generate(requests)]


def test_the_base_inside_an_adapted_generator_is_the_base_model(
    tiny_generator, tiny_model, adapters
):
    adapted = TransformersGenerator(tiny_model, device="cpu", adapter=adapters["trained"])
    base = adapted.without_adapter()
    assert _token_ids(base) == _token_ids(tiny_generator)
    assert base.path == tiny_generator.path
    assert _token_ids(adapted) != _token_ids(base)  # the adapter is back on after the view


def test_merging_after_the_probe_keeps_the_text_and_records_it(tiny_model, adapters):
    adapted = TransformersGenerator(tiny_model, device="cpu", adapter=adapters["trained"])
    unmerged_ids, unmerged_path = _token_ids(adapted), dict(adapted.path)
    assert check_adapter_effect(adapted.without_adapter(), adapted, PROMPTS) >= 1
    adapted.merge_adapter()
    assert _token_ids(adapted) == unmerged_ids
    assert adapted.path == unmerged_path | {"adapter_merged": True}
    with pytest.raises(ValueError, match="unmerged adapter"):
        adapted.without_adapter()


def test_probe_on_the_shared_base_stops_an_adapter_that_changes_nothing(tiny_model, adapters):
    adapted = TransformersGenerator(tiny_model, device="cpu", adapter=adapters["zero"])
    with pytest.raises(AdapterNotApplied, match="changes none of 4 probe outputs"):
        check_adapter_effect(adapted.without_adapter(), adapted, PROMPTS)
