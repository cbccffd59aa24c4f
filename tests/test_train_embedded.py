"""SFT of the embedded SmolLM2-135M with the default LoRA recipe (minutes on 2 CPU cores)."""

import math

import pytest
from safetensors.torch import load_file

from procsft.config import Recipe
from procsft.distill import distill
from procsft.inference.embedded import SMOLLM2_ID
from procsft.inference.models import default_cache_dir, resolve_model
from procsft.suite.build import build_suite
from procsft.suite.files import TEACHER_DECODING, programmatic_teacher
from procsft.train import train_adapter

pytestmark = pytest.mark.slow

LLAMA_AUTO = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def test_default_lora_recipe_trains_smollm2_on_32_rows(tmp_path):
    built = build_suite(seed=0, tasks_per_skill=1, corpus_per_skill=1)
    teacher = programmatic_teacher(built)
    kept, _ = distill(
        built.corpus_tasks, built.skills, teacher, "programmatic", decoding=TEACHER_DECODING
    )
    rows = kept[:32]
    model = resolve_model("embedded:smollm2-135m", None, default_cache_dir())
    recipe = Recipe()  # the study's default: LoRA r=8 on `auto` targets, 1 epoch, batch 2
    run = train_adapter(model, rows, built.skills, recipe, seed=0, out=tmp_path / "a", device="cpu")
    meta = run.meta
    assert meta["base_model"]["model_id"] == SMOLLM2_ID and meta["device"] == "cpu"
    assert sorted(meta["target_modules"]) == sorted(LLAMA_AUTO)
    assert run.steps == 16 and [step for step, _ in run.loss_curve] == list(range(1, 17))
    assert all(math.isfinite(loss) for _, loss in run.loss_curve)
    weights = load_file(run.out / "adapter_model.safetensors")
    assert len(weights) == 2 * 30 * len(LLAMA_AUTO)  # A and B × 30 layers × 7 projections
    assert meta["tokens_seen"] > 32 * 100 and meta["peak_rss_mb"] > 0
