"""The transformers engine: batched, left-padded generation with the model's chat template."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from procsft.hashing import text_sha256, weights_sha256
from procsft.inference.continuations import continuation_logprobs
from procsft.inference.decoding import stop_token_ids, template_kwargs_path, to_generation
from procsft.inference.greedy import GREEDY_DECODER, greedy_generate
from procsft.inference.models import ResolvedModel
from procsft.inference.protocol import Generation, GenerationRequest


class TransformersGenerator:
    """Generate with a transformers causal LM; stops at end of turn."""

    independent_requests = False

    def __init__(
        self,
        model: ResolvedModel,
        *,
        dtype: str = "float32",
        device: str = "auto",
        adapter: str | Path | None = None,
        merge_adapter: bool = False,
        chat_template_kwargs: dict[str, Any] | None = None,
    ):
        import torch
        import transformers
        from transformers import AutoModelForCausalLM, AutoTokenizer

        transformers.utils.logging.disable_progress_bar()
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.torch = torch
        self.device = device
        self.tokenizer = AutoTokenizer.from_pretrained(model.load_from, revision=model.revision)
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.model = AutoModelForCausalLM.from_pretrained(
            model.load_from, revision=model.revision, dtype=getattr(torch, dtype)
        )
        if adapter is not None:
            from peft import PeftModel

            self.model = PeftModel.from_pretrained(self.model, str(adapter))
        self.model = self.model.to(device)
        self.model.eval()
        self.stop_ids = self._stop_ids()
        self.chat_template_kwargs = chat_template_kwargs or {}
        self.path: dict[str, Any] = {
            "engine": "transformers",
            "engine_version": transformers.__version__,
            "torch_version": torch.__version__,
            "device": device,
            "dtype": dtype,
            "model_id": model.model_id,
            "revision": model.revision,
            "weights_sha256": model.weights_sha256,
            "adapter_sha256": weights_sha256(Path(adapter)) if adapter is not None else None,
            "chat_template_sha256": text_sha256(self.tokenizer.chat_template),
            # Greedy requests run procsft's loop (finished rows leave the batch), not
            # `model.generate`: other matmul shapes, so another computation.
            "greedy_decoder": GREEDY_DECODER,
            **template_kwargs_path(chat_template_kwargs),
        }
        if adapter is not None and merge_adapter:
            self.merge_adapter()

    def merge_adapter(self) -> None:
        """Fold the adapter into the base weights (PEFT `merge_and_unload`), recorded in the
        path as `adapter_merged`: each layer then runs one matmul instead of three. In float32
        the greedy text is the unmerged adapter's (benchmarks/rollout_batching.py checks it);
        the probe must run before, as the merged model has no base to compare with."""
        if self.path["adapter_sha256"] is None or self.path.get("adapter_merged"):
            return
        self.model = self.model.merge_and_unload()
        self.model.eval()
        self.path["adapter_merged"] = True

    def without_adapter(self) -> BaseModelView:
        """Return a generator of the base model that shares these weights: PEFT's
        `disable_adapter` bypasses the adapter layers, so the probe needs no second load."""
        if self.path["adapter_sha256"] is None or self.path.get("adapter_merged"):
            raise ValueError("without_adapter needs an unmerged adapter")
        return BaseModelView(self)

    def render(self, messages: list[dict[str, str]]) -> str:
        """Return the prompt text the model continues: the chat template with its kwargs."""
        return self.tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, tokenize=False, **self.chat_template_kwargs
        )

    def _stop_ids(self) -> list[int]:
        return stop_token_ids(self.tokenizer, self.model.generation_config.eos_token_id)

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        """Return one generation per request, as one padded batch; a batch that does not fit
        in accelerator memory is split in halves until it does."""
        if not requests:
            return []
        try:
            return self._generate_batch(requests)
        except self.torch.OutOfMemoryError:
            if len(requests) == 1:
                raise
            if self.device == "cuda":
                self.torch.cuda.empty_cache()
            half = len(requests) // 2
            return self.generate(requests[:half]) + self.generate(requests[half:])

    def _generate_batch(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        first = requests[0]
        if any(
            (r.max_new_tokens, r.temperature, r.top_p)
            != (first.max_new_tokens, first.temperature, first.top_p)
            for r in requests
        ):
            raise ValueError("a batch must share its decoding settings")
        texts = [self.render(r.messages) for r in requests]
        batch = self.tokenizer(
            texts, return_tensors="pt", padding=True, add_special_tokens=False
        ).to(self.device)
        sampling = first.temperature > 0
        start = time.perf_counter()
        with self.torch.inference_mode():
            if sampling:
                new_ids = self._sample(batch, first)
            else:
                new_ids = greedy_generate(
                    self.model,
                    batch["input_ids"],
                    batch["attention_mask"],
                    max_new_tokens=first.max_new_tokens,
                    stop_ids=self.stop_ids,
                    pad_token_id=self.tokenizer.pad_token_id,
                )
        latency = time.perf_counter() - start
        prompt_tokens = batch["attention_mask"].sum(dim=1).tolist()
        return [
            self._decode(ids, n_prompt, latency)
            for ids, n_prompt in zip(new_ids, prompt_tokens, strict=True)
        ]

    def _sample(self, batch: Any, first: GenerationRequest) -> list[list[int]]:
        """Return the new ids of a sampled batch: `model.generate`, seeded once per batch."""
        self.torch.manual_seed(first.seed)
        out = self.model.generate(
            **batch,
            max_new_tokens=first.max_new_tokens,
            do_sample=True,
            temperature=first.temperature,
            top_p=first.top_p,
            top_k=None,
            eos_token_id=self.stop_ids,
            pad_token_id=self.tokenizer.pad_token_id,
        )
        return out[:, batch["input_ids"].shape[1] :].tolist()

    def _decode(self, new_ids: list[int], prompt_tokens: int, latency: float) -> Generation:
        return to_generation(self.tokenizer, new_ids, self.stop_ids, prompt_tokens, latency)

    def continuation_logprobs(
        self, requests: Sequence[GenerationRequest], prefix: str, options: Sequence[str]
    ) -> list[list[float]]:
        """Return, per request, the log-probability of each option continuing a reply that
        starts with `prefix` (sum over the option's tokens; one forward pass, no sampling).

        Context and option are tokenised apart and joined, as in multiple-choice evaluation,
        so every option is scored after exactly the same context tokens. A forced-choice
        judge's path names how (`continuations`, see `procsft.inference.continuations`).
        """
        contexts = [
            self.tokenizer(self.render(r.messages) + prefix, add_special_tokens=False).input_ids
            for r in requests
        ]
        endings = [self.tokenizer(o, add_special_tokens=False).input_ids for o in options]
        return continuation_logprobs(self.model, contexts, endings, self.tokenizer.pad_token_id)


class BaseModelView:
    """The base model inside an unmerged adapted generator: generates with the adapter
    disabled, on the same weights, tokenizer and engine; its path has no adapter."""

    independent_requests = False

    def __init__(self, adapted: TransformersGenerator):
        self.adapted = adapted
        self.path = {**adapted.path, "adapter_sha256": None}

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        """Return what the base model generates for `requests`."""
        with self.adapted.model.disable_adapter():
            return self.adapted.generate(requests)
