from pathlib import Path

import pytest

from procsft.errors import ConfigError
from procsft.inference.models import resolve_model, weights_sha256
from procsft.inference.path import path_differences, path_fingerprint


def test_fingerprint_equal_for_equal_paths_and_names_differences():
    a = {"engine": "transformers", "dtype": "float32", "max_new_tokens": 64}
    assert path_fingerprint(a) == path_fingerprint(dict(reversed(a.items())))
    for field, value in (("dtype", "bfloat16"), ("engine", "vllm"), ("max_new_tokens", 65)):
        b = a | {field: value}
        assert path_fingerprint(a) != path_fingerprint(b)
        assert path_differences(a, b) == [field]


def test_tiny_model_is_built_once_and_reproducibly(tiny_model, tmp_path):
    again = resolve_model("tiny:qwen3.5", None, Path(tiny_model.load_from).parents[1])
    assert again == tiny_model
    other = resolve_model("tiny:qwen3.5", None, tmp_path)  # a fresh build elsewhere
    assert other.weights_sha256 == tiny_model.weights_sha256
    assert weights_sha256(Path(other.load_from)) == other.weights_sha256


def test_local_folder_and_unknown_scheme(tiny_model, tmp_path):
    local = resolve_model(tiny_model.load_from, None, tmp_path)
    assert local.weights_sha256 == tiny_model.weights_sha256
    with pytest.raises(ConfigError, match="not found"):
        resolve_model("./absent-model", None, tmp_path)
    with pytest.raises(ConfigError, match="unknown model source"):
        resolve_model("ollama:llama3", None, tmp_path)
