"""The stages of a study, each a function of the config and the run folder.

Every stage reads what earlier stages wrote in the run folder and writes its own outputs
there, so the stages run in one process (`procsft run`) or one per pipeline step (KFP), and
a rerun resumes: finished outputs are kept and only missing rows are made.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict
from functools import partial
from itertools import zip_longest
from pathlib import Path
from typing import Any

from rich.console import Console

from procsft import reuse
from procsft.config import Student, StudyConfig
from procsft.errors import ConfigError
from procsft.inference.factory import api_generator, student_generator
from procsft.inference.http_engine import Price
from procsft.inference.models import default_cache_dir, resolve_model, weights_sha256
from procsft.inference.probe import check_adapter_effect
from procsft.inference.protocol import Generator
from procsft.judge.stage import judge_all
from procsft.rollout import Configuration, plan_episodes, rollout
from procsft.run_folder import RunFolder, write_text_atomic
from procsft.schema import CorpusRow, Episode, RowLog, Skill, Task, Verdict, read_rows, write_rows
from procsft.suite.build import build_suite
from procsft.suite.files import write_suite
from procsft.validate import ValidationFailed, tokenizer_counter, validate_suite


def _cache(config: StudyConfig) -> Path:
    return config.storage.cache_dir or default_cache_dir()


def suite_stage(config: StudyConfig, run: RunFolder) -> None:
    """Put the suite's row files in the run folder: the user's own, or the built-in suite."""
    if run.holdout.exists():
        return
    files = config.suite.user_files
    if files:
        # The holdout is copied last: its presence marks a finished stage.
        for name in sorted(files, key=lambda name: name == "holdout"):
            target = run.root / "suite" / f"{name}.jsonl"
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.tmp")
            shutil.copyfile(files[name].expanduser(), tmp)
            os.replace(tmp, target)
        counts = {"source": "user files"}
    else:
        built = build_suite(
            config.suite.seed,
            config.suite.tasks_per_skill,
            config.suite.corpus_per_skill,
            config.subset.skills,
        )
        counts = write_suite(run.root / "suite.tmp", built)["counts"]
        shutil.rmtree(run.root / "suite", ignore_errors=True)
        os.replace(run.root / "suite.tmp", run.root / "suite")
    outputs = [p for p in (run.skills, run.holdout, run.corpus) if p.exists()]
    run.record_stage("suite", "done", outputs, counts=counts)


def validate_stage(config: StudyConfig, run: RunFolder, console: Console) -> None:
    """Validate the suite rows (Great Expectations); nothing downstream runs if one fails.

    Skipped when the suite files are those a previous validation passed (same sha256).
    """
    inputs = [p for p in (run.skills, run.holdout, run.corpus) if p.exists()]
    done = run.read_manifest()["stages"]["validate"]
    if done.get("status") == "done" and done.get("inputs") == run.hashes(inputs):
        return
    cache = _cache(config)
    counters = [
        tokenizer_counter(resolved.load_from, resolved.revision)
        for resolved in (resolve_model(s.source, s.revision, cache) for s in config.students)
    ]
    report = validate_suite(
        run.skills,
        run.holdout,
        run.corpus if run.corpus.exists() else None,
        tasks_per_skill=config.suite.tasks_per_skill,
        max_length=min(recipe.max_length for recipe in config.recipes),
        # Every student trains on the corpus: the longest tokenization must fit.
        count_tokens=lambda messages: max(count(messages) for count in counters),
        leakage_threshold=config.suite.leakage_threshold,
        max_mb=config.suite.max_file_mb,
    )
    report.write(run.validation)
    outputs = [run.validation / "validation.json", run.validation / "validation.md"]
    if not report.success:
        run.record_stage("validate", "failed", outputs)
        for failure in report.failures:
            console.print(f"validation failed: {failure.line()}", markup=False, highlight=False)
        raise ValidationFailed(
            f"{len(report.failures)} expectations failed; see {run.validation / 'validation.md'}"
        )
    run.record_stage("validate", "done", outputs, counts=report.counts, inputs=run.hashes(inputs))


def holdout_rows(config: StudyConfig, run: RunFolder) -> tuple[list[Skill], list[Task]]:
    """Return the validated skills and the holdout tasks to roll out (after `subset`)."""
    skills = list(read_rows(run.skills, Skill))
    tasks = list(read_rows(run.holdout, Task))
    if config.subset.skills is not None:
        tasks = [t for t in tasks if t.skill_id in config.subset.skills]
    if config.subset.tasks_per_skill is not None:
        kept: Counter[str] = Counter()
        subset = []
        for task in tasks:
            kept[task.skill_id] += 1
            if kept[task.skill_id] <= config.subset.tasks_per_skill:
                subset.append(task)
        tasks = subset
    return skills, tasks


Adapters = dict[tuple[str, str, int], Path]
"""Trained adapter folders by (student, recipe, training seed)."""


def _corpus_subset(corpus: list[CorpusRow], limit: int | None) -> list[CorpusRow]:
    """Return `limit` rows taken round-robin over skills, so a small budget covers them all."""
    if limit is None:
        return corpus
    by_skill: dict[str, list[CorpusRow]] = {}
    for row in corpus:
        by_skill.setdefault(row.skill_id, []).append(row)
    ordered = [row for group in zip_longest(*by_skill.values()) for row in group if row]
    return ordered[:limit]


def adapter_folder(run: RunFolder, student: str, recipe: str, seed: int) -> Path:
    return run.adapters / student / recipe / f"seed{seed}"


def planned_adapters(config: StudyConfig, run: RunFolder) -> Adapters:
    """Return every adapter the config trains (stage `post`), finished or not."""
    if "post" not in config.stages:
        return {}
    return {
        (s.name, r.name, seed): adapter_folder(run, s.name, r.name, seed)
        for s in config.students
        for r in config.recipes
        for seed in config.seeds
    }


def train_stage(
    config: StudyConfig,
    run: RunFolder,
    console: Console,
    only: str | None = None,
    recipe_name: str | None = None,
    seed_only: int | None = None,
) -> Adapters:
    """Train one adapter per student × recipe × seed (stage `post` only; `only`, `recipe_name`
    and `seed_only` narrow it to one student, recipe or seed); finished adapters are kept, and
    a killed training resumes from its last checkpoint. An adapter another run folder trained
    from the same inputs is copied instead (`procsft.reuse`)."""
    if "post" not in config.stages:
        return {}
    from procsft.train import library_versions, resolve_device, train_adapter, training_inputs

    skills = list(read_rows(run.skills, Skill))
    if not run.corpus.exists():
        raise ConfigError(
            "stage `post` needs a corpus: give suite.corpus or use the built-in suite"
        )
    corpus = _corpus_subset(list(read_rows(run.corpus, CorpusRow)), config.subset.corpus_rows)
    cache = _cache(config)
    adapters: Adapters = {}
    made: dict[tuple[str, str, int], dict[str, Any]] = {}
    for student in config.students:
        if only is not None and student.name != only:
            continue
        resolved = resolve_model(student.source, student.revision, cache)
        for recipe in config.recipes:
            if recipe_name is not None and recipe.name != recipe_name:
                continue
            for seed in config.seeds:
                if seed_only is not None and seed != seed_only:
                    continue
                out = adapter_folder(run, student.name, recipe.name, seed)
                key = (student.name, recipe.name, seed)
                made[key] = {}
                if not (out / "train_meta.json").exists():
                    earlier = reuse.find_adapter(
                        run,
                        out.relative_to(run.root),
                        training_inputs(resolved, corpus, recipe, seed),
                        resolve_device(config.compute.device, recipe),
                        library_versions(),
                    )
                    if earlier is not None:
                        reuse.copy_into(earlier.root / out.relative_to(run.root), out)
                        made[key]["reused_from"] = earlier.root.name
                        console.print(f"reusing {'/'.join(map(str, key))} of {earlier.root.name}")
                console.print(f"training {student.name} / {recipe.name} / seed {seed}")
                result = train_adapter(
                    resolved,
                    corpus,
                    skills,
                    recipe,
                    seed=seed,
                    out=out,
                    device=config.compute.device,
                    checkpoint_every=config.compute.checkpoint_every,
                )
                adapters[key] = out
                made[key]["trained_now"] = result.trained
    if (only, recipe_name, seed_only) == (None, None, None):  # a part leaves it to the run
        record_train_stage(config, run, made)
    return adapters


def record_train_stage(
    config: StudyConfig, run: RunFolder, made: dict[tuple[str, str, int], dict] | None = None
) -> None:
    """Record the `train` stage in the manifest from the finished adapters' `train_meta.json`
    (a pipeline trains its students in parallel steps, so its publish step records it).
    `made` says, per adapter, whether this process trained it and which run it was copied from."""
    adapters = planned_adapters(config, run)
    if not adapters:
        return
    facts, rows = {}, None
    for key, folder in adapters.items():
        meta = json.loads((folder / "train_meta.json").read_text(encoding="utf-8"))
        rows = meta.get("corpus", {}).get("rows", rows)
        facts["{}/{}/seed{}".format(*key)] = {
            field: meta.get(field)
            for field in ("steps", "tokens_per_second", "wall_seconds", "final_loss")
        } | (made or {}).get(key, {})
    outputs = [folder / "train_meta.json" for folder in adapters.values()]
    run.record_stage("train", "done", outputs, rows=rows, adapters=facts)


Planned = tuple[Configuration, Callable[[], Generator], int]


def configurations(config: StudyConfig, run: RunFolder) -> list[Planned]:
    """Return every configuration to roll out, a (lazy) maker of its generator, and the number
    of episodes to request per call (a padded batch locally; a few rounds of the concurrency
    limit for an API, so a kill loses little)."""
    cache = _cache(config)
    adapters = planned_adapters(config, run)
    out: list[Planned] = []
    for s in config.students:
        if "pre" in config.stages:
            configuration = Configuration(student=s.name, size=s.size, stage="pre")
            maker = partial(student_generator, s, config.compute, cache)
            out.append((configuration, maker, config.compute.batch_size))
        for (name, recipe, seed), adapter in adapters.items():
            if name == s.name:
                configuration = Configuration(s.name, s.size, "post", recipe, seed)
                maker = partial(_probed_generator, s, config, cache, adapter)
                out.append((configuration, maker, config.compute.batch_size))
    if "reference" in config.stages:
        for r in config.references:
            configuration = Configuration(student=r.name, size="reference", stage="reference")
            maker = partial(api_generator, r.backend, r.model, r)
            out.append((configuration, maker, 4 * r.max_concurrency))
    return out


def _probed_generator(
    student: Student, config: StudyConfig, cache: Path, adapter: Path
) -> Generator:
    """Return the adapted generator once the probe shows the adapter changes the model."""
    adapted = student_generator(student, config.compute, cache, adapter=adapter)
    base = student_generator(student, config.compute, cache)
    check_adapter_effect(base, adapted, PROBE_PROMPTS)
    return adapted


PROBE_PROMPTS = (
    "What is 17 + 25? Show your work.",
    "Convert 3 h 20 min to minutes.",
    "What is the median of 4, 9, 1, 7, 3?",
    'Shift every letter of "cab" forward by 2.',
)


def rollout_stage(config: StudyConfig, run: RunFolder, only: str | None = None) -> None:
    """Roll out every configuration (or the one named `only`) into its own shard,
    `rollout/<configuration>.jsonl`, so configurations can run in parallel steps."""
    if config.compute.threads:
        import torch

        torch.set_num_threads(config.compute.threads)
    skills, tasks = holdout_rows(config, run)
    for configuration, make_generator, batch_size in configurations(config, run):
        if only is not None and configuration.name != only:
            continue
        shard = run.shard(configuration.name)
        if shard.exists():
            continue
        plan = plan_episodes(
            configuration, skills, tasks, config.conditions, config.seeds, config.decoding
        )
        key = reuse.rollout_key(
            *_rollout_identity(config, run, configuration),
            [(p.episode_id, asdict(p.request)) for p in plan],
        )
        partial = shard.with_name(shard.name + ".partial")
        earlier = None if partial.exists() else reuse.find_shard(run, configuration.name, key)
        # Facts are written before the shard appears: an existing shard always has its facts.
        if earlier is not None:  # the same rows, made by an earlier run: copy them
            facts = json.loads(earlier.shard(configuration.name).with_suffix(".json").read_text())
            facts |= {"reused_from": earlier.root.name, "generated_now": 0}
            write_text_atomic(shard.with_suffix(".json"), json.dumps(facts, indent=2))
            reuse.copy_into(earlier.shard(configuration.name), shard)
            continue
        log = RowLog(shard, Episode)
        stats = rollout(
            configuration,
            plan,
            make_generator,
            log,
            decoding=config.decoding,
            batch_size=batch_size,
        )
        rows = [log.rows[p.episode_id] for p in plan]  # all there: rollout raised otherwise
        # Counts come from the rows, so a shard a killed process began counts the whole shard;
        # the timing fields and `generated_now` stay this process's.
        facts = stats.as_dict() | {
            "generated_now": stats.generated,
            "generated": len(rows),
            "completion_tokens": sum(e.completion_tokens for e in rows),
            "reuse_key": key,
        }
        if configuration.stage == "reference":
            (ref,) = [r for r in config.references if r.name == configuration.student]
            if ref.price is not None:
                price = Price(ref.price.input_per_mtok, ref.price.output_per_mtok)
                facts["cost_usd"] = round(
                    sum(price.cost(e.prompt_tokens, e.completion_tokens) for e in rows), 6
                )
        write_text_atomic(shard.with_suffix(".json"), json.dumps(facts, indent=2))
        log.finalize([p.episode_id for p in plan])


def _rollout_identity(
    config: StudyConfig, run: RunFolder, configuration: Configuration
) -> tuple[dict, dict]:
    """Return the model and the engine settings a configuration's rows follow from (for
    `reuse.rollout_key`): the student (with its adapter's weights) or the reference API model."""
    if configuration.stage == "reference":
        (ref,) = [r for r in config.references if r.name == configuration.student]
        return {"backend": ref.backend, "model": ref.model, "base_url": ref.base_url}, {}
    (student,) = [s for s in config.students if s.name == configuration.student]
    model: dict[str, Any] = student.model_dump(mode="json", exclude={"new"})
    if configuration.stage == "post":
        assert configuration.recipe is not None and configuration.train_seed is not None
        folder = adapter_folder(run, student.name, configuration.recipe, configuration.train_seed)
        model["adapter_sha256"] = weights_sha256(folder)
    compute = config.compute
    device = compute.device
    if device == "auto":  # what the generator will pick: CPU and GPU kernels differ
        import torch

        device = "cuda" if torch.cuda.is_available() else "cpu"
    engine = {
        "engine": compute.engine,
        "device": device,
        "dtype": compute.dtype,
        "batch_size": compute.batch_size,  # the padded batches shape greedy text
    }
    return model, engine


def collect_episodes(config: StudyConfig, run: RunFolder) -> list[Episode]:
    """Return every configuration's episodes, merged into `episodes.jsonl` in config order."""
    episodes, facts = [], {}
    for configuration, _, _ in configurations(config, run):
        shard = run.shard(configuration.name)
        episodes += read_rows(shard, Episode)
        facts[configuration.name] = json.loads(shard.with_suffix(".json").read_text())
    write_rows(run.episodes, episodes)
    run.record_stage("rollout", "done", [run.episodes], configurations=facts)
    return episodes


def judge_stage(config: StudyConfig, run: RunFolder) -> list[Verdict]:
    """Score every episode with every scorer into `verdicts.jsonl`, and `agreement.json`."""
    _, tasks = holdout_rows(config, run)
    episodes = list(read_rows(run.episodes, Episode))
    verdicts, facts = judge_all(config, tasks, episodes, run.verdicts, run.agreement)
    run.record_stage(
        "judge", "done", [run.verdicts, run.agreement], verdicts=len(verdicts), **facts
    )
    return verdicts


def publish_stage(config: StudyConfig, run: RunFolder, console: Console) -> dict[str, Any]:
    """Publish the finished run and return what was published: `run_manifest.json` (every
    artifact's sha256 and URI, the last write into the folder), an MLflow parent run with a
    child per configuration, and every adapter in the model registry. An unreachable store or
    tracking server does not fail the study: the run is complete locally, one line says so,
    and `procsft sync` publishes it later (publishing twice adds nothing)."""
    from procsft.store.artifacts import StoreError, open_store
    from procsft.store.manifest import write_manifest
    from procsft.store.registry import register_adapters
    from procsft.store.tracking import log_run, resolve_tracking_uri, tracking_unreachable

    def kept_locally(reason: str) -> dict[str, Any]:
        reason = " ".join(reason.split())[:400]  # one line, whatever the library wrote
        console.print(
            f"not published ({reason}); the run is complete in {run.root}: "
            f"`procsft sync {run.root}` publishes it later",
            markup=False,
            soft_wrap=True,
        )
        return {"published": False, "reason": reason}

    try:
        write_manifest(run.root, open_store(config))
    except StoreError as err:
        return kept_locally(f"artifact store: {err}")
    uri = resolve_tracking_uri(config.storage, config.storage.runs_dir)
    if problem := tracking_unreachable(uri):
        return kept_locally(f"tracking server {uri} unreachable: {problem}")
    try:
        logged = log_run(run.root, tracking_uri=uri, experiment=config.storage.experiment)
        versions = register_adapters(run.root, logged)
    except Exception as err:  # any tracking failure: the run itself is complete on disk
        return kept_locally(f"tracking at {uri} failed: {err}")
    console.print(f"mlflow: {uri} ({logged.status}, {len(versions)} adapter versions)")
    return {
        "published": True,
        "tracking_uri": uri,
        "mlflow": logged.status,
        "adapter_versions": len(versions),
    }


def analyze_stage(
    config: StudyConfig, run: RunFolder, console: Console, allow_path_mismatch: bool = False
) -> dict:
    """Write `summary.json`, `report.md`, `report.html` and the plots from the verdicts, print
    the headline table, and return the summary."""
    from procsft.analysis import analyze, paths_from_episodes, print_table

    start = time.perf_counter()
    verdicts = list(read_rows(run.verdicts, Verdict))
    episodes = list(read_rows(run.episodes, Episode))
    stages = run.read_manifest()["stages"]
    agreement = json.loads(run.agreement.read_text()) if run.agreement.exists() else None
    summary = analyze(
        verdicts,
        paths_from_episodes(episodes),
        config.students,
        settings=config.analysis,
        agreement=agreement,
        out=run.root,
        allow_path_mismatch=allow_path_mismatch,
        extractors=[s.name for s in config.scorers if s.kind == "extractor"],
        run_info={
            "run_id": run.root.name,
            "study": config.study,
            "config_fingerprint": config.fingerprint(),
            "episodes": len(episodes),
            "rollout": stages["rollout"].get("configurations", {}),
            "judge": stages["judge"].get("judges", {}),
        },
    )
    outputs = [run.summary, run.report, run.report_html, *sorted(run.plots.glob("*"))]
    run.record_stage("analyze", "done", outputs, seconds=round(time.perf_counter() - start, 2))
    print_table(summary, console)
    console.print(f"report: {run.report_html}")
    return summary
