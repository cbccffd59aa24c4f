"""SFT on the tiny Qwen3.5 model: completion-only loss, target modules, adapters that change
outputs, byte-identical reruns, a full fine-tune that learns, QLoRA refusal, kill and resume."""

import importlib.util
import os
import signal
import subprocess
import sys
import time

import pytest
import torch
from safetensors.torch import load_file

from procsft.config import Recipe
from procsft.distill import distill
from procsft.errors import ConfigError, DataError
from procsft.inference.models import resolve_model
from procsft.inference.probe import check_adapter_effect
from procsft.inference.protocol import GenerationRequest
from procsft.inference.transformers_backend import TransformersGenerator
from procsft.schema import write_rows
from procsft.suite.build import build_suite
from procsft.suite.files import TEACHER_DECODING, programmatic_teacher
from procsft.train import (
    META_FILE,
    make_trainer,
    partial_folder,
    resolve_target_modules,
    train_adapter,
    training_examples,
)
from tests.conftest import REPO

# A learning rate far above LoRA's usual 2e-4, so a few steps visibly change a random model.
LORA = Recipe(name="tiny-lora", learning_rate=2e-2, epochs=2, batch_size=2)
QWEN35_AUTO = {
    "q_proj", "k_proj", "v_proj", "o_proj",  # full attention
    "in_proj_qkv", "in_proj_z", "out_proj",  # linear attention (gated delta net)
    "gate_proj", "up_proj", "down_proj",  # MLP
}  # fmt: skip


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Two torch threads on a shared 2-core machine wait on each other whenever another
    process holds a core: steps of this tiny model ran 10-80x slower than with one thread."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def suite():
    """The skills and the 8 shortest programmatic demonstrations (short rows, fast steps)."""
    built = build_suite(seed=0, tasks_per_skill=1, corpus_per_skill=1)
    teacher = programmatic_teacher(built)
    kept, _ = distill(
        built.corpus_tasks, built.skills, teacher, "programmatic", decoding=TEACHER_DECODING
    )
    rows = sorted(kept, key=lambda row: len(row.prompt) + len(row.response))[:8]
    return built.skills, rows


@pytest.fixture(scope="module")
def lora_runs(tiny_model, suite, tmp_path_factory):
    """Two uninterrupted LoRA trainings with the same inputs and seed."""
    skills, rows = suite
    root = tmp_path_factory.mktemp("lora")
    return [
        train_adapter(tiny_model, rows, skills, LORA, seed=0, out=root / name, device="cpu")
        for name in ("a", "b")
    ]


def _load_tiny(tiny_model):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    return (
        AutoTokenizer.from_pretrained(tiny_model.load_from),
        AutoModelForCausalLM.from_pretrained(tiny_model.load_from),
    )


def _chat_ids(tokenizer, messages, **kwargs) -> list[int]:
    return tokenizer.apply_chat_template(messages, **kwargs)["input_ids"]


def test_prompt_tokens_carry_no_loss(tiny_model, suite, tmp_path):
    skills, rows = suite
    tokenizer, net = _load_tiny(tiny_model)
    examples = [example for _, example in training_examples(rows, skills)]
    trainer = make_trainer(
        net, tokenizer, examples, LORA, seed=0, output_dir=tmp_path, device="cpu"
    )
    batch = next(iter(trainer.get_train_dataloader()))  # collated exactly as training sees it
    by_ids = {tuple(_chat_ids(tokenizer, e["prompt"] + e["completion"])): e for e in examples}
    assert batch["input_ids"].shape[0] == LORA.batch_size
    collated = zip(batch["input_ids"], batch["attention_mask"], batch["labels"], strict=True)
    for ids, mask, labels in collated:
        length = int(mask.sum())
        example = by_ids[tuple(ids[:length].tolist())]
        start = len(_chat_ids(tokenizer, example["prompt"], add_generation_prompt=True))
        assert (labels[:start] == -100).all()  # system prompt, skill block, task: no loss
        assert (labels[start:length] == ids[start:length]).all()  # the response: all of it
        assert (labels[length:] == -100).all()  # padding
        completion = tokenizer.decode(labels[start:length])
        assert completion == example["completion"][0]["content"] + "<|im_end|>\n"


def test_auto_targets_cover_both_attention_kinds_and_bogus_names_are_refused(tiny_model):
    _, net = _load_tiny(tiny_model)
    targets = resolve_target_modules(net, "auto")
    assert set(targets) == QWEN35_AUTO
    names = [name for name, _ in net.named_modules()]
    for layer, kind in enumerate(net.config.layer_types):  # linear_attention, full_attention
        prefixes = (f"model.layers.{layer}.linear_attn.", f"model.layers.{layer}.self_attn.")
        attention = {n.rsplit(".", 1)[-1] for n in names if n.startswith(prefixes)}
        assert attention & set(targets), f"layer {layer} ({kind}) gets no attention adapter"
    for target in targets:
        assert any(n.endswith(f".{target}") for n in names)
    assert resolve_target_modules(net, ["q_proj", "in_proj_z"]) == ["q_proj", "in_proj_z"]
    assert resolve_target_modules(net, "all-linear") == "all-linear"
    with pytest.raises(ConfigError, match="'qkv_proj' matches no module"):
        resolve_target_modules(net, ["q_proj", "qkv_proj"])


def test_lora_adapter_changes_greedy_outputs(lora_runs, tiny_model, tiny_generator, suite):
    run = lora_runs[0]
    assert run.trained and run.steps == 8  # 8 rows / batch 2 × 2 epochs
    plot = ["loss.png"] if importlib.util.find_spec("matplotlib") else []  # optional
    assert sorted(p.name for p in run.out.iterdir() if p.name != "README.md") == [
        "adapter_config.json",
        "adapter_model.safetensors",
        *plot,
        META_FILE,
    ]
    assert not partial_folder(run.out).exists()
    meta = run.meta
    assert meta["base_model"]["weights_sha256"] == tiny_model.weights_sha256
    assert set(meta["target_modules"]) == QWEN35_AUTO
    assert meta["tokens_seen"] > 0 and meta["tokens_per_second"] > 0 and meta["peak_rss_mb"] > 0
    assert [step for step, _ in run.loss_curve] == list(range(1, 9))
    adapted = TransformersGenerator(tiny_model, device="cpu", adapter=run.out)
    skills, rows = suite
    requests = [
        GenerationRequest(messages=example["prompt"], max_new_tokens=16)
        for _, example in training_examples(rows, skills)
    ]
    before = [g.text for g in tiny_generator.generate(requests)]
    assert [g.text for g in adapted.generate(requests)] != before
    assert check_adapter_effect(tiny_generator, adapted, [r.prompt for r in rows[:4]]) >= 1


def test_same_seed_gives_identical_adapter_weights(lora_runs):
    a, b = (load_file(run.out / "adapter_model.safetensors") for run in lora_runs)
    assert a.keys() == b.keys() and len(a) == 2 * 13  # A and B on 6 + 7 projections
    assert all(torch.equal(a[key], b[key]) for key in a)
    trained = [key for key in a if "lora_B" in key]
    assert all(a[key].abs().sum() > 0 for key in trained)  # B starts at zero: it was trained


def test_activation_checkpointing_saves_the_same_adapter_bytes(
    lora_runs, tiny_model, suite, tmp_path
):
    """configs/local.yaml recomputes activations to halve the train step's peak memory: the
    adapter must be the one kept activations give, byte for byte."""
    skills, rows = suite
    recipe = LORA.model_copy(update={"activation_checkpointing": True})
    out = tmp_path / "checkpointed"
    train_adapter(tiny_model, rows, skills, recipe, seed=0, out=out, device="cpu")
    name = "adapter_model.safetensors"
    assert (out / name).read_bytes() == (lora_runs[0].out / name).read_bytes()
    assert lora_runs[0].meta["memory_returned"] is True  # glibc: freed tensors were unmapped


def test_a_finished_output_is_returned_not_retrained(lora_runs, tiny_model, suite):
    skills, rows = suite
    run = lora_runs[0]
    again = train_adapter(tiny_model, rows, skills, LORA, seed=0, out=run.out, device="cpu")
    assert not again.trained and again.meta == run.meta
    with pytest.raises(ConfigError, match="other inputs"):
        train_adapter(tiny_model, rows, skills, LORA, seed=1, out=run.out, device="cpu")


def test_full_fine_tune_learns_the_answer_format(tiny_model, suite, tmp_path, cache_dir):
    skills, rows = suite
    # A random model needs every weight and a high rate to learn the format in seconds.
    recipe = Recipe(name="tiny-full", method="full", learning_rate=1e-2, epochs=20, batch_size=2)
    out = tmp_path / "full"
    run = train_adapter(tiny_model, rows, skills, recipe, seed=0, out=out, device="cpu")
    first, last = run.loss_curve[0][1], run.loss_curve[-1][1]
    assert last <= 0.2 * first, f"loss {first:.2f} -> {last:.2f}"
    tuned = TransformersGenerator(resolve_model(str(run.out), None, cache_dir), device="cpu")
    requests = [
        GenerationRequest(messages=example["prompt"], max_new_tokens=160)
        for _, example in training_examples(rows, skills)
    ]
    for generation in tuned.generate(requests):
        assert generation.finish_reason == "stop"
        assert generation.text.splitlines()[-1].startswith("ANSWER: "), generation.text


def test_a_row_longer_than_max_length_is_refused_not_cut(tiny_model, suite, tmp_path):
    skills, rows = suite
    short = Recipe(name="short", max_length=64)
    with pytest.raises(DataError, match=f"corpus row '{rows[0].row_id}': .* tokens exceed"):
        train_adapter(tiny_model, rows, skills, short, seed=0, out=tmp_path / "s", device="cpu")
    assert not (tmp_path / "s").exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="QLoRA runs on a CUDA machine")
def test_qlora_is_refused_on_cpu_before_anything_loads(tiny_model, suite, tmp_path, monkeypatch):
    from transformers import AutoModelForCausalLM

    def no_load(*args, **kwargs):
        raise AssertionError("the model was loaded before the refusal")

    monkeypatch.setattr(AutoModelForCausalLM, "from_pretrained", no_load)
    skills, rows = suite
    qlora = Recipe(name="qlora", quantization="4bit")
    out = tmp_path / "q"
    for device in ("auto", "cpu"):
        with pytest.raises(ConfigError, match="needs a CUDA GPU"):
            train_adapter(tiny_model, rows, skills, qlora, seed=0, out=out, device=device)
    assert not out.exists() and not partial_folder(out).exists()
    with pytest.raises(ValueError, match="needs `method: lora`"):
        Recipe(method="full", quantization="4bit")


TRAIN_SCRIPT = """
import sys, time
from pathlib import Path
import transformers
from procsft.config import Recipe
from procsft.inference.models import resolve_model
from procsft.schema import CorpusRow, Skill, read_rows
from procsft.train import train_adapter

data, out, cache = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
step = transformers.Trainer.training_step
def slow_step(self, *args, **kwargs):  # so the kill lands mid-run, after the first checkpoint
    time.sleep(0.3)
    return step(self, *args, **kwargs)
transformers.Trainer.training_step = slow_step
train_adapter(
    resolve_model("tiny:qwen3.5", None, cache),
    list(read_rows(data / "corpus.jsonl", CorpusRow)),
    list(read_rows(data / "skills.jsonl", Skill)),
    Recipe.model_validate_json((data / "recipe.json").read_text()),
    seed=0, out=out, device="cpu", checkpoint_every=2,
)
"""


def test_killed_training_resumes_from_its_last_checkpoint(
    lora_runs, tiny_model, suite, tmp_path, cache_dir
):
    skills, rows = suite
    write_rows(tmp_path / "corpus.jsonl", rows)
    write_rows(tmp_path / "skills.jsonl", skills)
    (tmp_path / "recipe.json").write_text(LORA.model_dump_json())
    out = tmp_path / "out"
    checkpoints = partial_folder(out) / "checkpoints"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}  # as `one_thread`: same threads, same sums
    args = [sys.executable, "-c", TRAIN_SCRIPT, str(tmp_path), str(out), str(cache_dir)]
    child = subprocess.Popen(args, env=env, cwd=REPO, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not list(checkpoints.glob("checkpoint-*/trainer_state.json")):  # written last
        assert child.poll() is None, child.stderr.read().decode()[-2000:]
        assert time.monotonic() < deadline, "no checkpoint within 120 s"
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert not out.exists()  # a killed run publishes nothing

    rerun = train_adapter(
        tiny_model, rows, skills, LORA, seed=0, out=out, device="cpu", checkpoint_every=2
    )
    uninterrupted = lora_runs[0]
    assert rerun.meta["resumed_from_step"] in (2, 4, 6)  # from a checkpoint, not from scratch
    assert rerun.steps == uninterrupted.steps == 8
    assert [step for step, _ in rerun.loss_curve] == list(range(1, 9))
    assert not checkpoints.exists() and not (out / "checkpoints").exists()
    resumed = load_file(out / "adapter_model.safetensors")
    reference = load_file(uninterrupted.out / "adapter_model.safetensors")
    assert all(torch.equal(resumed[key], reference[key]) for key in reference)  # exact resume
