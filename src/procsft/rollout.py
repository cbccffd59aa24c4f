"""Rollout: model configuration × holdout × conditions × seeds → episode rows.

Episodes are planned in a fixed order and cut into fixed batches, so a rerun after a kill
generates exactly the batches that have missing rows, with the same batch composition (and
so the same padded shapes and the same greedy text) as an uninterrupted run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tqdm import tqdm

from procsft.config import Condition, Decoding, Reasoning
from procsft.errors import ExitCode, ProcsftError
from procsft.hashing import text_sha256
from procsft.inference.path import path_fingerprint
from procsft.inference.protocol import (
    Generation,
    GenerationRequest,
    Generator,
    generate_each,
)
from procsft.plan import Configuration
from procsft.prompt import PROMPT_VERSION, SYSTEM_PROMPT, build_messages
from procsft.reasoning import (
    DEFAULT_MARKERS,
    marker_fields,
    prompt_opens_trace,
    split_reasoning,
)
from procsft.schema import Episode, RowLog, Skill, Task


class GenerationFailed(ProcsftError):
    """Requests failed after their retries; the episodes that succeeded are kept."""

    exit_code = ExitCode.API_FAILED


@dataclass(frozen=True)
class PlannedEpisode:
    episode_id: str
    task: Task
    condition: Condition
    seed: int
    request: GenerationRequest


@dataclass
class RolloutStats:
    planned: int = 0
    generated: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    cost_usd: float | None = None

    @property
    def tokens_per_second(self) -> float:
        return self.completion_tokens / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "planned": self.planned,
            "generated": self.generated,
            "completion_tokens": self.completion_tokens,
            "seconds": round(self.seconds, 2),
            "tokens_per_second": round(self.tokens_per_second, 1),
            "cost_usd": None if self.cost_usd is None else round(self.cost_usd, 6),
        }


def plan_episodes(
    configuration: Configuration,
    skills: Sequence[Skill],
    tasks: Sequence[Task],
    conditions: Sequence[Condition],
    seeds: Sequence[int],
    decoding: Decoding,
) -> list[PlannedEpisode]:
    """Return every episode of `configuration`, grouped by condition so batches pad little."""
    by_id = {skill.skill_id: skill for skill in skills}
    return [
        PlannedEpisode(
            episode_id=Episode.make_id(configuration.name, task.task_id, condition, seed),
            task=task,
            condition=condition,
            seed=seed,
            request=GenerationRequest(
                messages=build_messages(task, by_id[task.skill_id], condition),
                max_new_tokens=decoding.max_new_tokens,
                temperature=decoding.temperature,
                top_p=decoding.top_p,
                seed=seed,
            ),
        )
        for condition in conditions
        for seed in seeds
        for task in tasks
    ]


def episode_path(
    engine_path: dict[str, Any], decoding: Decoding, reasoning: Reasoning = DEFAULT_MARKERS
) -> dict[str, Any]:
    """Return the full inference path: the engine's fields plus prompt, decoding and, when
    they are not the default ones (so older paths keep their bytes), the reasoning markers."""
    return {
        **engine_path,
        "prompt_version": PROMPT_VERSION,
        "system_prompt_sha256": text_sha256(SYSTEM_PROMPT),
        "temperature": decoding.temperature,
        "top_p": decoding.top_p,
        "max_new_tokens": decoding.max_new_tokens,
        **marker_fields(reasoning),
    }


def rollout(
    configuration: Configuration,
    plan: Sequence[PlannedEpisode],
    make_generator: Callable[[], Generator],
    log: RowLog,
    *,
    decoding: Decoding,
    batch_size: int,
    reasoning: Reasoning = DEFAULT_MARKERS,
) -> RolloutStats:
    """Generate the planned episodes missing from `log` and append them, `batch_size` at a
    time; each reply's reasoning trace (between the `reasoning` markers) is kept apart from
    its response.

    `make_generator` is called only when something is missing, so a finished configuration
    costs no model load on a rerun.
    """
    stats = RolloutStats(planned=len(plan))
    batches = [plan[i : i + batch_size] for i in range(0, len(plan), batch_size)]
    todo = [b for b in batches if any(p.episode_id not in log for p in b)]
    if not todo:
        return stats
    generator = make_generator()
    path = episode_path(generator.path, decoding, reasoning)
    # A local engine shows the prompt it renders: a thinking template may open the trace there.
    render = getattr(generator, "render", None)
    fingerprint = path_fingerprint(path)
    if getattr(generator, "independent_requests", False):
        # Requests stand alone (HTTP engines): never pay again for a finished episode.
        work = [p for batch in todo for p in batch if p.episode_id not in log]
    else:
        # A local engine regenerates whole batches: the same padded shapes give the same
        # greedy text as an uninterrupted run. Only the plan's last batch can be short, so
        # cutting these batches' concatenation every `batch_size` gives them back unchanged.
        work = [p for batch in todo for p in batch]
    bar = tqdm(
        total=len(plan),
        initial=len(plan) - len(work),
        desc=configuration.name,
        unit="ep",
        dynamic_ncols=True,
    )
    start = time.perf_counter()
    failed: list[str] = []
    finished: list[Episode] = []

    def episode(p: PlannedEpisode, g: Generation) -> Episode:
        opened = render is not None and prompt_opens_trace(render(p.request.messages), reasoning)
        split = split_reasoning(g.text, reasoning, opened=opened)
        return Episode(
            episode_id=p.episode_id,
            configuration=configuration.name,
            student=configuration.student,
            size=configuration.size,
            stage=configuration.phase,
            recipe=configuration.recipe,
            train_seed=configuration.train_seed,
            task_id=p.task.task_id,
            skill_id=p.task.skill_id,
            condition=p.condition,
            seed=p.seed,
            messages=p.request.messages,
            response=split.response,
            reasoning=split.reasoning,
            reasoning_cut_off=split.cut_off,
            finish_reason=g.finish_reason,
            prompt_tokens=g.prompt_tokens,
            completion_tokens=g.completion_tokens,
            path_fingerprint=fingerprint,
            path=path,
        )

    def keep(i: int, g: Generation) -> None:
        if g.ok:
            finished.append(episode(work[i], g))
            stats.generated += 1
        else:
            failed.append(g.error or "")
        stats.completion_tokens += g.completion_tokens
        if g.cost_usd is not None:
            stats.cost_usd = (stats.cost_usd or 0.0) + g.cost_usd
        bar.update(1)
        if len(finished) >= batch_size:
            log.append(finished)
            finished.clear()
            stats.seconds = time.perf_counter() - start
            bar.set_postfix_str(f"{stats.tokens_per_second:.0f} tok/s")

    with bar:
        # HTTP engines keep their requests in flight: one starts as soon as one ends.
        generate_each(generator, [p.request for p in work], batch_size, keep)
        log.append(finished)
        stats.seconds = time.perf_counter() - start
    if failed:  # what succeeded is kept; a rerun asks only for the failed ones
        raise GenerationFailed(
            f"{configuration.name}: {len(failed)} requests failed, first: {failed[0]}; "
            "rerun to retry them"
        )
    return stats
