"""The suite step: the suite's row files into the run folder (the user's own, or built)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from procsft.atomic import copy_atomic, replace_folder
from procsft.config import StudyConfig
from procsft.inference.models import default_cache_dir
from procsft.run_folder import RunFolder
from procsft.schema import Skill, Task, read_rows
from procsft.suite.build import build_suite
from procsft.suite.files import write_suite


def cache_dir(config: StudyConfig) -> Path:
    """Return where models are converted and kept (`storage.cache_dir` or the default)."""
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
            copy_atomic(files[name].expanduser(), target, metadata=False)
        counts = {"source": "user files"}
    else:
        built = build_suite(
            config.suite.seed,
            config.suite.tasks_per_skill,
            config.suite.corpus_per_skill,
            config.subset.skills,
        )
        counts = write_suite(run.root / "suite.tmp", built)["counts"]
        replace_folder(run.root / "suite.tmp", run.root / "suite")
    outputs = [p for p in (run.skills, run.holdout, run.corpus) if p.exists()]
    run.record_stage("suite", "done", outputs, counts=counts)


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
