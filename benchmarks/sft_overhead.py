"""SFT overhead, measured side by side in one run on the embedded model (SmolLM2-135M).

procsft's `train_adapter` against a hand-written TRL `SFTTrainer` script on the same 16 corpus
rows and settings (LoRA r=8 on the seven projections, 1 epoch, batch 2, fp32 on CPU). Both are
timed end to end, from loading the model to a saved adapter, so procsft's own work (checks,
hashes, meta, plot, atomic publish) counts against it. The contenders alternate so machine
noise hits them alike; each keeps its best round. Goal: procsft / plain ≥ 0.95.

torch uses its default threads; on a busy 2-core machine set `OMP_NUM_THREADS=1` for steadier
numbers (two threads wait on each other whenever another process holds a core).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

import torch
from safetensors.torch import load_file

from procsft.config import Recipe
from procsft.distill import distill
from procsft.inference.models import default_cache_dir, resolve_model
from procsft.prompt import build_messages
from procsft.schema import Task
from procsft.suite.build import build_suite
from procsft.suite.files import TEACHER_DECODING, programmatic_teacher
from procsft.train import train_adapter

sys.path.insert(0, str(Path(__file__).parent))
from record import record  # noqa: E402

ROWS = 16
ROUNDS = 2
RECIPE = Recipe(name="bench", epochs=1, batch_size=2)
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def _rows():
    built = build_suite(seed=0, tasks_per_skill=1, corpus_per_skill=1)
    teacher = programmatic_teacher(built)
    kept, _ = distill(
        built.corpus_tasks, built.skills, teacher, "programmatic", decoding=TEACHER_DECODING
    )
    return built.skills, kept[:ROWS]


def _procsft(resolved, skills, rows, out: Path) -> dict:
    start = time.perf_counter()
    result = train_adapter(resolved, rows, skills, RECIPE, seed=0, out=out, device="cpu")
    seconds = time.perf_counter() - start
    meta = result.meta
    return {
        "seconds": seconds,
        "train_seconds": meta["train_seconds"],
        "tokens": meta["tokens_seen"],
    }


def _plain_trl(resolved, skills, rows, out: Path) -> dict:
    """What a user would write without procsft: format, load, SFTTrainer, train, save."""
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    start = time.perf_counter()
    by_id = {skill.skill_id: skill for skill in skills}
    data = []
    for row in rows:
        skill = by_id[row.skill_id]
        task = Task(
            task_id=row.task_id,
            skill_id=row.skill_id,
            split="corpus",
            prompt=row.prompt,
            answer_type=skill.answer_type,
            rubric="-",
        )
        data.append(
            {
                "prompt": build_messages(task, skill, "curated"),
                "completion": [{"role": "assistant", "content": row.response}],
            }
        )
    tokenizer = AutoTokenizer.from_pretrained(resolved.load_from)
    model = AutoModelForCausalLM.from_pretrained(resolved.load_from, dtype=torch.float32)
    args = SFTConfig(
        output_dir=str(out / "trl"),
        seed=0,
        num_train_epochs=RECIPE.epochs,
        learning_rate=RECIPE.learning_rate,
        per_device_train_batch_size=RECIPE.batch_size,
        max_length=RECIPE.max_length,
        bf16=False,
        use_cpu=True,
        activation_checkpointing=False,
        logging_steps=1,
        save_strategy="no",
        disable_tqdm=True,
        report_to=[],
    )
    lora = LoraConfig(
        r=RECIPE.lora_r,
        lora_alpha=RECIPE.lora_alpha,
        lora_dropout=RECIPE.lora_dropout,
        target_modules=TARGETS,
        task_type="CAUSAL_LM",
    )
    trainer = SFTTrainer(
        model=model,
        args=args,
        train_dataset=Dataset.from_list(data),
        processing_class=tokenizer,
        peft_config=lora,
    )
    train_start = time.perf_counter()
    trainer.train()
    train_seconds = time.perf_counter() - train_start
    trainer.model.save_pretrained(out)
    seconds = time.perf_counter() - start
    tokens = sum(len(ids) for ids in trainer.train_dataset["input_ids"])  # 1 epoch, no padding
    return {"seconds": seconds, "train_seconds": train_seconds, "tokens": tokens}


def _same_weights(a: Path, b: Path) -> bool:
    left, right = (load_file(folder / "adapter_model.safetensors") for folder in (a, b))
    return left.keys() == right.keys() and all(torch.equal(left[k], right[k]) for k in left)


def main() -> None:
    resolved = resolve_model("embedded:smollm2-135m", None, default_cache_dir())
    skills, rows = _rows()
    tmp = Path(tempfile.mkdtemp(prefix="sft-overhead-"))
    best = {"procsft": {}, "plain": {}}
    for i in range(ROUNDS):
        for name, run in (("procsft", _procsft), ("plain", _plain_trl)):
            out = tmp / f"{name}-{i}"
            measured = run(resolved, skills, rows, out)
            print(f"round {i + 1} {name}: {measured}", flush=True)
            if measured["tokens"] / measured["seconds"] > best[name].get("tps", 0.0):
                best[name] = {**measured, "tps": measured["tokens"] / measured["seconds"]}
    same = _same_weights(tmp / "procsft-0", tmp / "plain-0")
    shutil.rmtree(tmp, ignore_errors=True)
    p, h = best["procsft"], best["plain"]
    assert p["tokens"] == h["tokens"], (p["tokens"], h["tokens"])
    rows_out = [
        {"metric": "rows × epochs, batch", "value": f"{ROWS} × 1, {RECIPE.batch_size}"},
        {"metric": "tokens trained", "value": p["tokens"]},
        {"metric": "procsft train_adapter tokens/s (end to end)", "value": round(p["tps"], 1)},
        {"metric": "plain TRL script tokens/s (end to end)", "value": round(h["tps"], 1)},
        {"metric": "procsft / plain TRL (end to end)", "value": p["tps"] / h["tps"], "goal": 0.95},
        {
            "metric": "procsft / plain TRL (training loop only)",
            "value": h["train_seconds"] / p["train_seconds"],
        },
        {"metric": "same adapter weights as plain TRL", "value": str(same)},
    ]
    record("sft_overhead", rows_out)


if __name__ == "__main__":
    main()
