"""`procsft judge`: stored episodes scored by every scorer of a config, nothing generated.

A new judge, a judge's new prompt version or another list of scorers re-scores a finished
run's episodes into a folder that `procsft analyze` then reads like a run folder: its config,
the episodes and holdout it scored, `verdicts.jsonl` with its spend ledger, `agreement.json`
and the judge-pass checks. Every grading request the verdict cache holds is answered from it,
so only new judges (or new prompts) send requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from procsft.atomic import copy_atomic
from procsft.config import StudyConfig
from procsft.errors import DataError
from procsft.judge.stage import judge_all
from procsft.run_folder import RunFolder
from procsft.schema import Episode, Task, Verdict, read_rows
from procsft.stages.analyze import after_verdicts_written
from procsft.stages.judge import record_judge_stage


@dataclass(frozen=True)
class Rejudged:
    """What `rejudge_stage` wrote: the folder, its verdicts and each LLM judge's facts."""

    run: RunFolder
    verdicts: list[Verdict]
    judges: dict[str, dict[str, Any]]


def rejudge_stage(
    config: StudyConfig,
    episodes_path: Path,
    holdout_path: Path | None = None,
    out: Path | None = None,
) -> Rejudged:
    """Score the episodes in `episodes_path` with every scorer of `config` into `out` (default:
    the config's own run folder, the one `procsft run` would use) and return what was written.

    The holdout defaults to the one beside a run's episodes (`suite/holdout.jsonl`). Every
    verdict is made again, the cached ones at no cost (rows already in `out` may come from
    other scorers of the same name or another prompt version); judge errors are asked again
    on a rerun. `out` gets the config, the episodes and the holdout (copied when they live
    elsewhere), so `procsft analyze --verdicts <out>/verdicts.jsonl` runs on it.
    """
    source = RunFolder(Path(episodes_path).resolve().parent)
    holdout = Path(holdout_path) if holdout_path else source.holdout
    if not holdout.is_file():
        where = "beside the episodes" if holdout_path is None else "at --holdout"
        raise DataError(f"{holdout}: no holdout {where}; pass --holdout with the tasks scored")
    episodes = list(read_rows(episodes_path, Episode))
    tasks = {t.task_id: t for t in read_rows(holdout, Task)}
    _check_episodes(Path(episodes_path), episodes, tasks, holdout)
    run = RunFolder(Path(out or config.storage.runs_dir / config.run_id()).resolve())
    run.root.mkdir(parents=True, exist_ok=True)
    _place(Path(episodes_path), run.episodes, "episodes")
    _place(holdout, run.holdout, "holdout tasks")
    if run.root != source.root:
        _carry_rollout_facts(source, run)
    run.write_config(config.model_dump(mode="json"))
    verdicts, facts = judge_all(config, list(tasks.values()), episodes, run.verdicts, rescore=True)
    record_judge_stage(config, run, verdicts, facts)
    after_verdicts_written(config, run, verdicts, episodes)
    return Rejudged(run, verdicts, facts["judges"])


def _check_episodes(
    path: Path, episodes: list[Episode], tasks: dict[str, Task], holdout: Path
) -> None:
    """Refuse episodes that repeat an id or score a task the holdout lacks (row number given)."""
    seen: set[str] = set()
    for number, e in enumerate(episodes, 1):
        if e.task_id not in tasks:
            raise DataError(f"{path}: row {number}: task_id {e.task_id!r} is not in {holdout}")
        if e.episode_id in seen:
            raise DataError(f"{path}: row {number}: episode_id {e.episode_id!r} appears twice")
        seen.add(e.episode_id)


def _place(source: Path, target: Path, what: str) -> None:
    """Copy `source` to `target` unless it is that file or holds the same bytes; refuse to
    replace a different file (another run's rows)."""
    if target.exists():
        if target.resolve() == source.resolve() or target.read_bytes() == source.read_bytes():
            return
        raise DataError(f"{target}: holds other {what} than {source}; pass another --out")
    copy_atomic(source, target, metadata=False)


def _carry_rollout_facts(source: RunFolder, run: RunFolder) -> None:
    """Record in `run` the rollout facts of the run the episodes came from (how each shard was
    made, what it cost), with the copied episodes as its output, so the report states them."""
    rollout = source.stage("rollout")
    if rollout.status == "done" and run.stage("rollout").status != "done":
        facts = rollout.facts | {"source": str(source.root)}
        run.record_stage("rollout", "done", [run.episodes], **facts)
