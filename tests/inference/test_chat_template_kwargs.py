"""A student's chat-template kwargs reach the template and the inference path (issue 16): the
tiny model with a thinking switch renders a different prompt and generates from it."""

import pytest

from procsft.config import Reasoning
from procsft.inference.path import path_differences, path_fingerprint
from procsft.inference.protocol import GenerationRequest
from procsft.inference.transformers_backend import TransformersGenerator
from procsft.reasoning import prompt_opens_trace

MESSAGES = [{"role": "user", "content": "What is 6 x 7?"}]
OFF = {"enable_thinking": False}


@pytest.fixture(scope="module")
def thinking_model(cache_dir):
    from procsft.inference.models import resolve_model

    return resolve_model("tiny:qwen3.5-thinking", None, cache_dir)


@pytest.fixture(scope="module")
def engines(thinking_model):
    """The thinking model with its template's default (thinking on) and with thinking off."""
    on = TransformersGenerator(thinking_model, device="cpu")
    off = TransformersGenerator(thinking_model, device="cpu", chat_template_kwargs=OFF)
    return on, off


def test_kwargs_reach_the_template(engines):
    on, off = engines
    assert on.render(MESSAGES).endswith("<|im_start|>assistant\n<think>\n")
    assert off.render(MESSAGES).endswith("<|im_start|>assistant\n<think>\n\n</think>\n\n")
    assert prompt_opens_trace(on.render(MESSAGES), Reasoning())
    assert not prompt_opens_trace(off.render(MESSAGES), Reasoning())
    request = [GenerationRequest(MESSAGES, max_new_tokens=4, temperature=0.0)]
    # The longer prompt is what the model was given: 4 more tokens (`\n\n</think>\n\n`).
    assert off.generate(request)[0].prompt_tokens > on.generate(request)[0].prompt_tokens


def test_the_path_records_kwargs_only_when_set(engines, thinking_model, tiny_model):
    on, off = engines
    assert off.path["chat_template_kwargs"] == OFF
    assert "chat_template_kwargs" not in on.path
    assert path_differences(on.path, off.path) == ["chat_template_kwargs"]
    # A model without a thinking switch has the path fields it always had.
    plain = TransformersGenerator(tiny_model, device="cpu")
    assert "chat_template_kwargs" not in plain.path
    assert path_differences(plain.path, on.path) == [
        "chat_template_sha256",
        "model_id",
    ]
    assert path_fingerprint(on.path) != path_fingerprint(off.path)


def test_the_thinking_model_shares_the_tiny_models_weights(thinking_model, tiny_model):
    assert thinking_model.weights_sha256 == tiny_model.weights_sha256
    assert thinking_model.load_from != tiny_model.load_from
