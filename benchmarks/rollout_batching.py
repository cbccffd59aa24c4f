"""Rollout speed, measured side by side in one run on the embedded model (SmolLM2-135M).

Ratios printed:
- procsft batched rollout vs a one-prompt-at-a-time transformers loop (goal ≥ 4)
- procsft rollout vs a hand-written batched `model.generate` at the same batch size (≥ 0.95)
- the vLLM engine vs the transformers engine, and procsft-through-vLLM vs raw `LLM.generate`
  (run in `.venv-vllm` when `make test-vllm` has created it)
- achieved FLOP/s (2 × parameters × tokens/s) over a plain matmul of the model's layer shapes
- the study's batch (configs/local.yaml) vs the earlier batch 8 on the same prompts: tokens/s,
  and how many responses are byte-identical (left padding in float32)
- a LoRA adapter merged into the weights (what a float32 post rollout runs) vs the unmerged
  adapter: tokens/s, and how many responses are byte-identical (goal: all)
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import torch

from procsft.config import Decoding
from procsft.inference.models import default_cache_dir, resolve_model
from procsft.inference.transformers_backend import TransformersGenerator
from procsft.plan import Configuration
from procsft.rollout import plan_episodes, rollout
from procsft.schema import Episode, RowLog
from procsft.suite.build import build_holdout

sys.path.insert(0, str(Path(__file__).parent))
from record import record  # noqa: E402

BATCH = 32
EARLIER_BATCH = 8
NEW_TOKENS = 64


def _plan():
    skills, tasks = build_holdout(seed=0, tasks_per_skill=1)
    tasks = [t for t in tasks if t.reference is not None][:BATCH]
    decoding = Decoding(max_new_tokens=NEW_TOKENS)
    config = Configuration(student="smollm2-135m", size="135M", phase="pre")
    return plan_episodes(config, skills, tasks, ["curated"], [0], decoding), decoding, config


def _procsft(generator, plan, decoding, config, tmp: Path) -> tuple[float, int]:
    log = RowLog(tmp / f"episodes-{time.perf_counter_ns()}.jsonl", Episode)
    start = time.perf_counter()
    stats = rollout(config, plan, lambda: generator, log, decoding=decoding, batch_size=BATCH)
    return time.perf_counter() - start, stats.completion_tokens


def _hand_batched(generator, plan) -> tuple[float, int]:
    tok, model = generator.tokenizer, generator.model
    texts = [
        tok.apply_chat_template(p.request.messages, add_generation_prompt=True, tokenize=False)
        for p in plan
    ]
    start = time.perf_counter()
    batch = tok(texts, return_tensors="pt", padding=True, add_special_tokens=False)
    with torch.inference_mode():
        out = model.generate(
            **batch,
            max_new_tokens=NEW_TOKENS,
            do_sample=False,
            eos_token_id=generator.stop_ids,
            pad_token_id=tok.pad_token_id,
        )
    new = out[:, batch["input_ids"].shape[1] :]
    tokens = sum(
        next((i + 1 for i, t in enumerate(row.tolist()) if t in generator.stop_ids), len(row))
        for row in new
    )
    return time.perf_counter() - start, tokens


def _one_at_a_time(generator, plan) -> tuple[float, int]:
    start, tokens = time.perf_counter(), 0
    for p in plan:
        tokens += generator.generate([p.request])[0].completion_tokens
    return time.perf_counter() - start, tokens


def _texts_and_speed(generator, plan, batch: int) -> tuple[list[str], float]:
    """Return every response and the tokens/s of generating `plan` `batch` requests at a time."""
    requests = [p.request for p in plan]
    start, out = time.perf_counter(), []
    for i in range(0, len(requests), batch):
        out += generator.generate(requests[i : i + batch])
    seconds = time.perf_counter() - start
    return [g.text for g in out], sum(g.completion_tokens for g in out) / seconds


def _random_adapter(model_dir: str, out: Path) -> Path:
    """Save a LoRA adapter on every projection the recipes' `auto` targets, with random A and B
    (PEFT's default B = 0 would change nothing), standing in for a trained one."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from procsft.train import resolve_target_modules

    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    config = LoraConfig(
        r=8,
        lora_alpha=16,
        target_modules=resolve_target_modules(model, "auto"),
        init_lora_weights=False,
    )
    get_peft_model(model, config).save_pretrained(out)
    return out


def _path_rows(resolved, generator, plan, tmp: Path) -> list[dict]:
    """Return the batch and merged-adapter rows: speed ratios and byte-identical responses."""
    batched, batched_tps = _texts_and_speed(generator, plan, BATCH)
    earlier, earlier_tps = _texts_and_speed(generator, plan, EARLIER_BATCH)
    adapter = _random_adapter(resolved.load_from, tmp / "adapter")
    unmerged = TransformersGenerator(resolved, dtype="float32", device="cpu", adapter=adapter)
    unmerged_texts, unmerged_tps = _texts_and_speed(unmerged, plan, BATCH)
    del unmerged
    merged = TransformersGenerator(
        resolved, dtype="float32", device="cpu", adapter=adapter, merge_adapter=True
    )
    merged_texts, merged_tps = _texts_and_speed(merged, plan, BATCH)
    n = len(plan)
    same_batch = sum(a == b for a, b in zip(batched, earlier, strict=True))
    same_merged = sum(a == b for a, b in zip(unmerged_texts, merged_texts, strict=True))
    return [
        {
            "metric": f"batch {BATCH} / batch {EARLIER_BATCH} tokens/s",
            "value": batched_tps / earlier_tps,
        },
        {
            "metric": f"responses byte-identical at batch {BATCH} and {EARLIER_BATCH} (of {n})",
            "value": same_batch,
        },
        {
            "metric": "merged adapter / unmerged adapter tokens/s",
            "value": merged_tps / unmerged_tps,
            "goal": 1.0,
        },
        {
            "metric": f"responses byte-identical merged and unmerged (of {n})",
            "value": same_merged,
            "goal": n,
        },
    ]


def _matmul_flops(model) -> float:
    """Return FLOP/s of a plain matmul shaped like the model's MLP at batch × 1 tokens."""
    cfg = model.config
    a = torch.randn(BATCH, cfg.hidden_size)
    w = torch.randn(cfg.hidden_size, cfg.intermediate_size)
    for _ in range(10):
        a @ w
    n, start = 200, time.perf_counter()
    for _ in range(n):
        a @ w
    return 2 * BATCH * cfg.hidden_size * cfg.intermediate_size * n / (time.perf_counter() - start)


def main() -> None:
    import tempfile

    resolved = resolve_model("embedded:smollm2-135m", None, default_cache_dir())
    generator = TransformersGenerator(resolved, dtype="float32", device="cpu")
    plan, decoding, config = _plan()
    tmp = Path(tempfile.mkdtemp())
    _hand_batched(generator, plan)  # warm-up
    # Interleave the contenders so machine noise hits them alike; keep each one's best.
    best = {"procsft": 0.0, "hand": 0.0}
    for _ in range(2):
        seconds, tokens = _procsft(generator, plan, decoding, config, tmp)
        best["procsft"] = max(best["procsft"], tokens / seconds)
        seconds, tokens = _hand_batched(generator, plan)
        best["hand"] = max(best["hand"], tokens / seconds)
    seconds, tokens = _one_at_a_time(generator, plan)
    single = tokens / seconds
    params = sum(p.numel() for p in generator.model.parameters())
    fraction = best["procsft"] * 2 * params / _matmul_flops(generator.model)
    rows = [
        {"metric": "procsft batched tokens/s", "value": round(best["procsft"], 1)},
        {"metric": "one-at-a-time tokens/s", "value": round(single, 1)},
        {"metric": "batched / one-at-a-time", "value": best["procsft"] / single, "goal": 4.0},
        {
            "metric": "procsft / hand-written batched generate",
            "value": best["procsft"] / best["hand"],
            "goal": 0.95,
        },
        {"metric": "achieved FLOP/s / plain matmul FLOP/s", "value": fraction},
    ]
    rows += _path_rows(resolved, generator, plan, tmp)
    rows += _vllm_rows(best["procsft"])
    record("rollout_batching", rows)


def _vllm_rows(transformers_tps: float) -> list[dict]:
    """Return the vLLM ratios, measured in `.venv-vllm` when it exists."""
    python = Path(__file__).resolve().parents[1] / ".venv-vllm" / "bin" / "python"
    script = Path(__file__).with_name("vllm_rollout.py")
    if not python.exists() or not script.exists():
        return [{"metric": "vLLM ratios", "value": "skipped: run `make test-vllm` first"}]
    out = subprocess.run([str(python), str(script)], capture_output=True, text=True)
    if out.returncode != 0:
        return [{"metric": "vLLM ratios", "value": f"failed: {out.stderr.strip()[-200:]}"}]
    measured = json.loads(out.stdout.strip().splitlines()[-1])
    return [
        {"metric": f"vLLM engine tokens/s (batch {BATCH})", "value": round(measured["procsft"], 1)},
        {
            "metric": "vLLM engine / transformers engine",
            "value": measured["procsft"] / transformers_tps,
        },
        {
            "metric": "procsft-through-vLLM / raw LLM.generate",
            "value": measured["procsft"] / measured["raw"],
            "goal": 0.95,
        },
    ]


if __name__ == "__main__":
    main()
