"""Row validation before anything runs: ids unique, every task's skill known, blocks complete.

Field types, required fields and the five-step block are enforced by the row models when the
files are read; this module checks what spans rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from procsft.errors import DataError
from procsft.schema import Skill, Task


def check_suite(skills: Sequence[Skill], tasks: Sequence[Task], where: Path) -> None:
    """Raise DataError, naming the file and the id, at the first cross-row problem."""
    for name, ids in (
        ("skill_id", [s.skill_id for s in skills]),
        ("task_id", [t.task_id for t in tasks]),
    ):
        duplicate = next((i for i, count in Counter(ids).items() if count > 1), None)
        if duplicate is not None:
            raise DataError(f"{where}: duplicate {name} {duplicate!r}")
    known = {s.skill_id: s for s in skills}
    for task in tasks:
        skill = known.get(task.skill_id)
        if skill is None:
            raise DataError(f"{where}: task {task.task_id!r}: unknown skill_id {task.skill_id!r}")
        if task.answer_type != skill.answer_type:
            raise DataError(f"{where}: task {task.task_id!r}: answer_type differs from its skill")
        if task.split != "holdout":
            raise DataError(f"{where}: task {task.task_id!r}: split is {task.split!r}, not holdout")
    if not tasks:
        raise DataError(f"{where}: no holdout tasks")
