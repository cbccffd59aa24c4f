"""Run inside `.venv-vllm` by rollout_batching.py: procsft's rollout through the vLLM engine vs
a raw `LLM.generate` of the same prompts; prints one JSON line of tokens per second."""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch: steadier on shared cores

from procsft.config import Decoding  # noqa: E402
from procsft.inference.models import default_cache_dir, resolve_model  # noqa: E402
from procsft.inference.vllm_backend import VllmGenerator  # noqa: E402
from procsft.plan import Configuration
from procsft.rollout import plan_episodes, rollout  # noqa: E402
from procsft.schema import Episode, RowLog  # noqa: E402
from procsft.suite.build import build_holdout  # noqa: E402

BATCH, NEW_TOKENS = 32, 64


def main() -> None:
    from vllm import SamplingParams

    skills, tasks = build_holdout(seed=0, tasks_per_skill=1)
    tasks = [t for t in tasks if t.reference is not None][:BATCH]
    decoding = Decoding(max_new_tokens=NEW_TOKENS)
    config = Configuration(student="smollm2-135m", size="135M", phase="pre")
    plan = plan_episodes(config, skills, tasks, ["curated"], [0], decoding)
    generator = VllmGenerator(resolve_model("embedded:smollm2-135m", None, default_cache_dir()))
    tok = generator.tokenizer
    prompts = [
        {
            "prompt_token_ids": tok(
                tok.apply_chat_template(
                    p.request.messages, add_generation_prompt=True, tokenize=False
                ),
                add_special_tokens=False,
            )["input_ids"]
        }
        for p in plan
    ]
    params = SamplingParams(
        max_tokens=NEW_TOKENS, temperature=0.0, stop_token_ids=generator.stop_ids, detokenize=False
    )
    generator.llm.generate(prompts, params, use_tqdm=False)  # warm-up
    best = {"procsft": 0.0, "raw": 0.0}
    for _ in range(2):
        log = RowLog(Path(tempfile.mkdtemp()) / "episodes.jsonl", Episode)
        start = time.perf_counter()
        stats = rollout(config, plan, lambda: generator, log, decoding=decoding, batch_size=BATCH)
        best["procsft"] = max(
            best["procsft"], stats.completion_tokens / (time.perf_counter() - start)
        )
        start = time.perf_counter()
        outs = generator.llm.generate(prompts, params, use_tqdm=False)
        tokens = sum(len(o.outputs[0].token_ids) for o in outs)
        best["raw"] = max(best["raw"], tokens / (time.perf_counter() - start))
    print(json.dumps(best))


if __name__ == "__main__":
    main()
