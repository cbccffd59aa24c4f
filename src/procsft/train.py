"""SFT: fine-tune a student on corpus rows with TRL, resumably and reproducibly.

Each passing corpus row becomes a prompt/completion pair: the prompt is the curated chat of
the one prompt template (`procsft.prompt.build_messages`), the completion the teacher's
response, so TRL puts the loss on the completion alone. (`assistant_only_loss` would need
`{% generation %}` markers in the chat template, and SmolLM2's has none.)

`out` is published once: training runs in a hidden sibling that holds the TRL checkpoints, and
one rename makes the weights, `train_meta.json` and `loss.png` appear together. A killed run
resumes from its last complete checkpoint; a finished `out` is returned without training.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import platform
import resource
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from procsft.config import Recipe
from procsft.errors import ConfigError, DataError
from procsft.inference.models import ResolvedModel
from procsft.memory import return_freed_memory
from procsft.prompt import PROMPT_VERSION, build_messages
from procsft.run_folder import read_json
from procsft.schema import CorpusRow, Skill, Task
from procsft.train_folder import (
    CHECKPOINTS,
    INPUTS_FILE,
    META_FILE,
    TrainResult,
    checkpoint_state,
    exclusive,
    finished,
    last_checkpoint,
    partial_folder,
    plot_loss,
    publish,
)
from procsft.versions import TRAINING, package_versions

# `target_modules: auto` takes whichever of these the model has: attention (q/k/v/o), MLP
# (gate/up/down) and Qwen3.5's linear-attention (gated delta net) projections. Its per-head
# beta/alpha gates `in_proj_b`/`in_proj_a` are left out: a few outputs wide, and serving engines
# have dropped adapters on them silently (sgl-project/sglang#30499).
AUTO_TARGETS = (
    *("q_proj", "k_proj", "v_proj", "o_proj"),  # attention
    *("in_proj_qkv", "in_proj_z", "out_proj"),  # Qwen3.5 linear attention
    *("gate_proj", "up_proj", "down_proj"),  # MLP
)


def training_examples(
    corpus: Sequence[CorpusRow], skills: Sequence[Skill]
) -> list[tuple[CorpusRow, dict[str, list[dict[str, str]]]]]:
    """Return (row, prompt/completion example) per passing row, in corpus order."""
    by_id = {skill.skill_id: skill for skill in skills}
    examples = []
    for row in corpus:
        if row.verdict != "pass":  # a failed demonstration is never trained on
            continue
        skill = by_id.get(row.skill_id)
        if skill is None:
            raise DataError(f"corpus row {row.row_id!r}: unknown skill {row.skill_id!r}")
        # build_messages reads only the task's prompt; the rubric just makes a valid Task.
        task = Task(
            task_id=row.task_id,
            skill_id=row.skill_id,
            split="corpus",
            prompt=row.prompt,
            answer_type=skill.answer_type,
            rubric="-",
        )
        prompt = build_messages(task, skill, "curated")
        completion = [{"role": "assistant", "content": row.response}]
        examples.append((row, {"prompt": prompt, "completion": completion}))
    if not examples:
        raise DataError("the corpus has no passing rows to train on")
    return examples


def corpus_sha256(corpus: Sequence[CorpusRow]) -> str:
    """Return the sha256 of the rows' canonical JSON in order (the order shapes the batches)."""
    digest = hashlib.sha256()
    for row in corpus:
        digest.update(json.dumps(row.model_dump(mode="json"), sort_keys=True).encode() + b"\n")
    return digest.hexdigest()


def resolve_target_modules(model: Any, target_modules: str | Sequence[str]) -> str | list[str]:
    """Return PEFT's `target_modules`: `auto` resolved from the model's own layers, `all-linear`
    unchanged, or an explicit list once every name is found to match a module."""
    import torch

    if target_modules == "all-linear":
        return target_modules
    head = model.get_output_embeddings()
    names = [name for name, _ in model.named_modules()]
    linear = sorted(
        {
            name.rsplit(".", 1)[-1]
            for name, module in model.named_modules()
            if isinstance(module, torch.nn.Linear) and module is not head
        }
    )
    if target_modules == "auto":
        found = [name for name in AUTO_TARGETS if name in linear]
        if not found:
            raise ConfigError(
                f"recipe.target_modules: `auto` knows no projection of {type(model).__name__} "
                f"(its linear layers: {linear}); list them or use `all-linear`"
            )
        return found
    for target in target_modules:
        if not any(name == target or name.endswith(f".{target}") for name in names):
            raise ConfigError(
                f"recipe.target_modules: {target!r} matches no module of "
                f"{type(model).__name__} (its linear layers: {linear})"
            )
    return list(target_modules)


def library_versions() -> dict[str, str | None]:
    """Return the versions of the libraries a training's weights depend on."""
    return package_versions(TRAINING)


def resolve_device(device: str, recipe: Recipe) -> str:
    """Return `cpu` or `cuda` for `device`; refuse what this machine cannot run, loading nothing."""
    import torch

    has_cuda = torch.cuda.is_available()
    if device == "auto":
        device = "cuda" if has_cuda else "cpu"
    if device == "cuda" and not has_cuda:
        raise ConfigError("device `cuda` was asked for, but this machine has no CUDA GPU")
    if recipe.quantization == "4bit":
        if device != "cuda":
            raise ConfigError(
                f"recipe {recipe.name!r}: quantization `4bit` (QLoRA, bitsandbytes) needs a CUDA "
                "GPU; use `quantization: none` on this machine"
            )
        if importlib.util.find_spec("bitsandbytes") is None:
            raise ConfigError(f"recipe {recipe.name!r}: quantization `4bit` needs bitsandbytes")
    return device


def train_adapter(
    model: ResolvedModel,
    corpus: Sequence[CorpusRow],
    skills: Sequence[Skill],
    recipe: Recipe,
    *,
    seed: int,
    out: Path,
    device: str = "auto",
    checkpoint_every: int | None = None,
    resume: bool = True,
) -> TrainResult:
    """Return the finished folder `out` (an adapter, or a full model for `method: full`),
    training it first unless a finished one for the same inputs is already there.

    With `checkpoint_every=N` a checkpoint is kept every N optimizer steps; a rerun after a
    kill continues from the last complete one, unless `resume=False`, which starts over.
    """
    out = Path(out)
    device = resolve_device(device, recipe)
    examples = training_examples(corpus, skills)
    inputs = training_inputs(model, corpus, recipe, seed)
    if (out / META_FILE).exists():
        return finished(out, inputs)
    with exclusive(out):
        if (out / META_FILE).exists():  # finished by another process since the check above
            return finished(out, inputs)
        if out.exists() and any(out.iterdir()):
            raise ConfigError(f"{out}: exists without {META_FILE}; it is not a training output")
        work = partial_folder(out)
        if not resume or read_json(work / INPUTS_FILE) != inputs:
            shutil.rmtree(work, ignore_errors=True)  # checkpoints of other inputs are not ours
        (work / CHECKPOINTS).mkdir(parents=True, exist_ok=True)
        (work / INPUTS_FILE).write_text(json.dumps(inputs))
        meta = _train(model, examples, recipe, seed, work, device, checkpoint_every)
        meta = {**inputs, **meta}
        (work / META_FILE).write_text(json.dumps(meta, indent=2) + "\n")
        plot_loss(meta["loss_curve"], work / "loss.png", title=f"{model.model_id} · {recipe.name}")
        publish(work, out)
    return TrainResult(out, meta, trained=True)


def make_trainer(
    net: Any,
    tokenizer: Any,
    examples: Sequence[dict[str, Any]],
    recipe: Recipe,
    *,
    seed: int,
    output_dir: Path,
    device: str,
    checkpoint_every: int | None = None,
) -> Any:
    """Return a quiet TRL `SFTTrainer` for the prompt/completion `examples` under `recipe`."""
    import datasets
    from transformers import PrinterCallback
    from trl import SFTConfig, SFTTrainer

    datasets.disable_progress_bars()
    cuda = device == "cuda"
    checkpointing = recipe.activation_checkpointing
    args = SFTConfig(
        output_dir=str(output_dir),
        seed=seed,
        num_train_epochs=recipe.epochs,
        learning_rate=recipe.learning_rate,
        lr_scheduler_type=recipe.scheduler,
        warmup_steps=recipe.warmup_ratio,  # a float below 1 is a fraction of the steps
        per_device_train_batch_size=recipe.batch_size,
        gradient_accumulation_steps=recipe.gradient_accumulation,
        max_length=recipe.max_length,
        packing=recipe.packing,
        # TRL defaults to bf16 and activation checkpointing; on CPU both only cost time.
        bf16=cuda,
        use_cpu=not cuda,
        activation_checkpointing=cuda if checkpointing is None else checkpointing,
        logging_steps=1,
        save_strategy="steps" if checkpoint_every else "no",
        save_steps=checkpoint_every or 500,
        save_total_limit=2,  # the newest may be torn by a kill; the one before it is whole
        include_num_input_tokens_seen="non_padding",
        disable_tqdm=True,
        report_to=[],
    )
    peft_config = None
    if recipe.method == "lora":
        from peft import LoraConfig

        peft_config = LoraConfig(
            r=recipe.lora_r,
            lora_alpha=recipe.lora_alpha,
            lora_dropout=recipe.lora_dropout,
            target_modules=resolve_target_modules(net, recipe.target_modules),
            task_type="CAUSAL_LM",
        )
    trainer = SFTTrainer(
        model=net,
        args=args,
        train_dataset=datasets.Dataset.from_list(list(examples)),
        processing_class=tokenizer,
        peft_config=peft_config,
    )
    trainer.remove_callback(PrinterCallback)  # disable_tqdm swaps the bar for per-step prints
    return trainer


def _train(
    model: ResolvedModel,
    examples: list[tuple[CorpusRow, dict[str, Any]]],
    recipe: Recipe,
    seed: int,
    work: Path,
    device: str,
    checkpoint_every: int | None,
) -> dict[str, Any]:
    """Train in `work`, save the weights there and return the measured facts for the meta."""
    import transformers

    transformers.utils.logging.disable_progress_bar()
    started = time.perf_counter()
    memory_returned = return_freed_memory()  # before any tensor: the peak RSS is the live set
    transformers.set_seed(seed)
    tokenizer, net = _load(model, recipe, device)
    _check_lengths(tokenizer, examples, recipe.max_length)
    trainer = make_trainer(
        net,
        tokenizer,
        [example for _, example in examples],
        recipe,
        seed=seed,
        output_dir=work / CHECKPOINTS,
        device=device,
        checkpoint_every=checkpoint_every,
    )
    checkpoint = last_checkpoint(work / CHECKPOINTS)
    resumed_from = checkpoint_state(checkpoint)["global_step"] if checkpoint else 0
    tokens_before = checkpoint_state(checkpoint)["num_input_tokens_seen"] if checkpoint else 0
    train_start = time.perf_counter()
    trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    train_seconds = time.perf_counter() - train_start
    state = trainer.state
    trainer.model.save_pretrained(work)
    if recipe.method == "full":
        tokenizer.save_pretrained(work)
    trainable = sum(p.numel() for p in trainer.model.parameters() if p.requires_grad)
    curve = [[entry["step"], entry["loss"]] for entry in state.log_history if "loss" in entry]
    return {
        "kind": "adapter" if recipe.method == "lora" else "model",
        "device": device,
        "dtype": str(next(net.parameters()).dtype).removeprefix("torch."),
        "target_modules": _targets(trainer.model),
        "trainable_params": trainable,
        "rows_trained": len(examples),
        "steps": state.global_step,
        "resumed_from_step": resumed_from,
        "tokens_seen": state.num_input_tokens_seen,
        "train_seconds": round(train_seconds, 3),
        "tokens_per_second": round(
            (state.num_input_tokens_seen - tokens_before) / train_seconds, 1
        ),
        "wall_seconds": round(time.perf_counter() - started, 3),
        "peak_rss_mb": _peak_rss_mb(),
        "memory_returned": memory_returned,
        "final_loss": curve[-1][1] if curve else None,
        "loss_curve": curve,
        "versions": library_versions(),
        "python": platform.python_version(),
    }


def _targets(net: Any) -> list[str] | None:
    """Return the module names the adapter is on (PEFT keeps a set), or None without one."""
    config = getattr(net, "peft_config", {}).get("default")
    return sorted(config.target_modules) if config is not None else None


def _load(model: ResolvedModel, recipe: Recipe, device: str) -> tuple[Any, Any]:
    """Return the tokenizer and the base model, in the dtype training uses on `device`."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model.load_from, revision=model.revision)
    kwargs: dict[str, Any] = {"revision": model.revision}
    if recipe.quantization == "4bit":
        from transformers import BitsAndBytesConfig

        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=torch.bfloat16,
        )
        kwargs["device_map"] = {"": 0}
        kwargs["dtype"] = torch.bfloat16
    elif device == "cuda" and recipe.method == "lora":
        kwargs["dtype"] = torch.bfloat16  # frozen base weights; PEFT keeps the adapter in fp32
    else:
        kwargs["dtype"] = torch.float32  # trained weights need fp32 for AdamW's small updates
    net = AutoModelForCausalLM.from_pretrained(model.load_from, **kwargs)
    if recipe.quantization == "4bit":
        from peft import prepare_model_for_kbit_training

        net = prepare_model_for_kbit_training(
            net, use_gradient_checkpointing=recipe.activation_checkpointing is not False
        )
    return tokenizer, net


def _check_lengths(
    tokenizer: Any, examples: list[tuple[CorpusRow, dict[str, Any]]], max_length: int
) -> None:
    """Raise DataError for the first row longer than `max_length`: TRL would cut it silently."""
    for row, example in examples:
        ids = tokenizer.apply_chat_template(example["prompt"] + example["completion"])
        length = len(ids["input_ids"] if hasattr(ids, "keys") else ids)
        if length > max_length:
            raise DataError(
                f"corpus row {row.row_id!r}: {length} tokens exceed recipe.max_length {max_length}"
            )


def training_inputs(
    model: ResolvedModel, corpus: Sequence[CorpusRow], recipe: Recipe, seed: int
) -> dict:
    """Return what determines the trained weights (JSON-ready): equal inputs, equal output."""
    return {
        "base_model": {
            "model_id": model.model_id,
            "revision": model.revision,
            "weights_sha256": model.weights_sha256,
        },
        "corpus": {"sha256": corpus_sha256(corpus), "rows": len(corpus)},
        "prompt_version": PROMPT_VERSION,
        "recipe": recipe.model_dump(mode="json"),
        "seed": seed,
    }


def _peak_rss_mb() -> float:
    """Return this process's peak resident memory in MiB (its whole life, not just training)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (2**20 if sys.platform == "darwin" else 2**10), 1)
