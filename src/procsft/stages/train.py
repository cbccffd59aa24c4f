"""The train step: one LoRA adapter per student × recipe × training seed (phase `post`)."""

from __future__ import annotations

from itertools import zip_longest
from pathlib import Path
from typing import Any

from rich.console import Console

from procsft import plan, reuse
from procsft.config import StudyConfig
from procsft.errors import ConfigError
from procsft.inference.models import resolve_model
from procsft.run_folder import RunFolder
from procsft.schema import CorpusRow, Skill, read_rows
from procsft.stages.suite import cache_dir

Adapters = dict[plan.Adapter, Path]
"""Trained adapter folders by adapter."""


def corpus_subset(corpus: list[CorpusRow], limit: int | None) -> list[CorpusRow]:
    """Return `limit` rows taken round-robin over skills, so a small budget covers them all."""
    if limit is None:
        return corpus
    by_skill: dict[str, list[CorpusRow]] = {}
    for row in corpus:
        by_skill.setdefault(row.skill_id, []).append(row)
    ordered = [row for group in zip_longest(*by_skill.values()) for row in group if row]
    return ordered[:limit]


def train_stage(
    config: StudyConfig,
    run: RunFolder,
    console: Console,
    only: str | None = None,
    recipe_name: str | None = None,
    seed_only: int | None = None,
) -> Adapters:
    """Train every planned adapter (`only`, `recipe_name` and `seed_only` narrow it to one
    student, recipe or seed); finished adapters are kept, and a killed training resumes from its
    last checkpoint. An adapter another run folder trained from the same inputs is copied
    instead (`procsft.reuse`)."""
    chosen = [
        a
        for a in plan.adapters(config, only)
        if recipe_name in (None, a.recipe) and seed_only in (None, a.seed)
    ]
    if not chosen:
        return {}
    from procsft.train import library_versions, resolve_device, train_adapter, training_inputs

    skills = list(read_rows(run.skills, Skill))
    if not run.corpus.exists():
        raise ConfigError(
            "stage `post` needs a corpus: give suite.corpus or use the built-in suite"
        )
    corpus = corpus_subset(list(read_rows(run.corpus, CorpusRow)), config.subset.corpus_rows)
    cache = cache_dir(config)
    students = {s.name: s for s in config.students}
    recipes = {r.name: r for r in config.recipes}
    adapters: Adapters = {}
    made: dict[plan.Adapter, dict[str, Any]] = {}
    for adapter in chosen:
        student, recipe = students[adapter.student], recipes[adapter.recipe]
        resolved = resolve_model(student.source, student.revision, cache)
        out = run.adapter(adapter)
        made[adapter] = {}
        if not run.train_meta_file(adapter).exists():
            earlier = reuse.find_adapter(
                run,
                adapter,
                training_inputs(resolved, corpus, recipe, adapter.seed),
                resolve_device(config.compute.device, recipe),
                library_versions(),
            )
            if earlier is not None:
                reuse.copy_into(earlier.adapter(adapter), out)
                made[adapter]["reused_from"] = earlier.root.name
                console.print(f"reusing {adapter.configuration} of {earlier.root.name}")
        console.print(f"training {student.name} / {recipe.name} / seed {adapter.seed}")
        result = train_adapter(
            resolved,
            corpus,
            skills,
            recipe,
            seed=adapter.seed,
            out=out,
            device=config.compute.device,
            checkpoint_every=config.compute.checkpoint_every,
        )
        adapters[adapter] = out
        made[adapter]["trained_now"] = result.trained
    if (only, recipe_name, seed_only) == (None, None, None):  # a part leaves it to the run
        record_train_stage(config, run, made)
    return adapters


def record_train_stage(
    config: StudyConfig, run: RunFolder, made: dict[plan.Adapter, dict] | None = None
) -> None:
    """Record the `train` stage in the manifest from the finished adapters' `train_meta.json`
    (a pipeline trains its students in parallel steps, so its publish step records it).
    `made` says, per adapter, whether this process trained it and which run it was copied from."""
    adapters = plan.adapters(config)
    if not adapters:
        return
    facts, rows = {}, None
    for adapter in adapters:
        meta = run.read_train_meta(adapter)
        if meta is None:
            raise ConfigError(
                f"{run.train_meta_file(adapter)}: missing; train {adapter.configuration}"
            )
        rows = meta.corpus.rows if meta.corpus and meta.corpus.rows is not None else rows
        facts[adapter.name] = {
            "steps": meta.steps,
            "tokens_per_second": meta.tokens_per_second,
            "wall_seconds": meta.wall_seconds,
            "final_loss": meta.final_loss,
        } | (made or {}).get(adapter, {})
    outputs = [run.train_meta_file(adapter) for adapter in adapters]
    run.record_stage("train", "done", outputs, rows=rows, adapters=facts)
