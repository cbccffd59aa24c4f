"""The rollout step: every configuration's episodes into its own shard,
`rollout/<configuration>.jsonl`, so configurations can run in parallel steps; then the shards
merged into `episodes.jsonl`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import Any

from procsft import plan, reuse
from procsft.config import Student, StudyConfig
from procsft.hashing import weights_sha256
from procsft.inference.decoding import GREEDY_DECODER
from procsft.inference.factory import api_generator, student_generator
from procsft.inference.http_engine import Price
from procsft.inference.probe import check_adapter_effect
from procsft.inference.protocol import Generator
from procsft.plan import Configuration
from procsft.reasoning import marker_fields
from procsft.rollout import plan_episodes, rollout
from procsft.run_files import ShardFacts
from procsft.run_folder import RunFolder
from procsft.schema import Episode, RowLog, read_rows, write_rows
from procsft.stages.suite import cache_dir, holdout_rows

Planned = tuple[Configuration, Callable[[], Generator], int]

PROBE_PROMPTS = (
    "What is 17 + 25? Show your work.",
    "Convert 3 h 20 min to minutes.",
    "What is the median of 4, 9, 1, 7, 3?",
    'Shift every letter of "cab" forward by 2.',
)


def configurations(config: StudyConfig, run: RunFolder) -> list[Planned]:
    """Return every planned configuration, a (lazy) maker of its generator, and the number of
    episodes to request per call (a padded batch locally; a few rounds of the concurrency limit
    for an API, so a kill loses little)."""
    cache = cache_dir(config)
    students = {s.name: s for s in config.students}
    references = {r.name: r for r in config.references}
    out: list[Planned] = []
    for configuration in plan.configurations(config):
        adapter = configuration.adapter
        if configuration.phase == "reference":
            ref = references[configuration.student]
            maker = partial(api_generator, ref.backend, ref.model, ref)
            out.append((configuration, maker, 4 * ref.max_concurrency))
            continue
        student = students[configuration.student]
        if adapter is None:
            maker = partial(student_generator, student, config.compute, cache)
        else:
            maker = partial(_probed_generator, student, config, cache, run.adapter(adapter))
        out.append((configuration, maker, config.compute.batch_size))
    return out


def _probed_generator(
    student: Student, config: StudyConfig, cache: Path, adapter: Path
) -> Generator:
    """Return the adapted generator once the probe shows the adapter changes the model;
    merged into the weights afterwards when `compute.merge_adapter` asks."""
    adapted = student_generator(student, config.compute, cache, adapter=adapter)
    if hasattr(adapted, "without_adapter"):  # the base is inside: one model load, not two
        base = adapted.without_adapter()
    else:
        base = student_generator(student, config.compute, cache)
    check_adapter_effect(base, adapted, PROBE_PROMPTS)
    if config.compute.merge_adapter:
        adapted.merge_adapter()
    return adapted


def rollout_stage(config: StudyConfig, run: RunFolder, only: str | None = None) -> None:
    """Roll out every configuration (or the one named `only`) into its own shard."""
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
        episodes = plan_episodes(
            configuration, skills, tasks, config.conditions, config.seeds, config.decoding
        )
        key = reuse.rollout_key(
            *_rollout_identity(config, run, configuration),
            [(p.episode_id, asdict(p.request)) for p in episodes],
        )
        partial_rows = shard.with_name(shard.name + ".partial")
        earlier = None if partial_rows.exists() else reuse.find_shard(run, configuration.name, key)
        # Facts are written before the shard appears: an existing shard always has its facts.
        if earlier is not None:  # the same rows, made by an earlier run: copy them
            facts = earlier.read_shard_facts(configuration.name)
            facts = ShardFacts.model_validate(
                facts.as_dict() | {"reused_from": earlier.root.name, "generated_now": 0}
            )
            run.write_shard_facts(configuration.name, facts)
            reuse.copy_into(earlier.shard(configuration.name), shard)
            continue
        log = RowLog(shard, Episode)
        stats = rollout(
            configuration,
            episodes,
            make_generator,
            log,
            decoding=config.decoding,
            batch_size=batch_size,
            reasoning=config.reasoning,
        )
        rows = [log.rows[p.episode_id] for p in episodes]  # all there: rollout raised otherwise
        # Counts come from the rows, so a shard a killed process began counts the whole shard;
        # the timing fields and `generated_now` stay this process's.
        facts = stats.as_dict() | {
            "adapter_merged": config.compute.merge_adapter if configuration.adapter else None,
            "generated_now": stats.generated,
            "generated": len(rows),
            "completion_tokens": sum(e.completion_tokens for e in rows),
            "reuse_key": key,
        }
        if configuration.phase == "reference":
            (ref,) = [r for r in config.references if r.name == configuration.student]
            if ref.price is not None:
                price = Price(ref.price.input_per_mtok, ref.price.output_per_mtok)
                facts["cost_usd"] = round(
                    sum(price.cost(e.prompt_tokens, e.completion_tokens) for e in rows), 6
                )
        run.write_shard_facts(configuration.name, ShardFacts.model_validate(facts))
        log.finalize([p.episode_id for p in episodes])


def _rollout_identity(
    config: StudyConfig, run: RunFolder, configuration: Configuration
) -> tuple[dict, dict]:
    """Return the model and the engine settings a configuration's rows follow from (for
    `reuse.rollout_key`): the student (with its adapter's weights) or the reference API model."""
    if configuration.phase == "reference":
        (ref,) = [r for r in config.references if r.name == configuration.student]
        api = {"backend": ref.backend, "model": ref.model, "base_url": ref.base_url}
        if ref.chat_template_kwargs is not None:  # absent otherwise: older keys still match
            api["chat_template_kwargs"] = ref.chat_template_kwargs
        return api, marker_fields(config.reasoning)
    (student,) = [s for s in config.students if s.name == configuration.student]
    model: dict[str, Any] = student.model_dump(mode="json", exclude={"new"})
    if configuration.adapter is not None:
        model["adapter_sha256"] = weights_sha256(run.adapter(configuration.adapter))
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
    if configuration.adapter is not None and compute.merge_adapter:
        engine["adapter_merged"] = True  # another computation than the unmerged adapter's
    if compute.engine == "transformers" and config.decoding.temperature == 0:
        engine["greedy_decoder"] = GREEDY_DECODER  # rows made by `model.generate` differ
    return model, engine | marker_fields(config.reasoning)  # the markers split the rows' replies


def collect_episodes(config: StudyConfig, run: RunFolder) -> list[Episode]:
    """Return every configuration's episodes, merged into `episodes.jsonl` in config order."""
    episodes, facts = [], {}
    for configuration in plan.configurations(config):
        shard = run.shard(configuration.name)
        episodes += read_rows(shard, Episode)
        facts[configuration.name] = run.read_shard_facts(configuration.name).as_dict()
    write_rows(run.episodes, episodes)
    run.record_stage("rollout", "done", [run.episodes], configurations=facts)
    return episodes
