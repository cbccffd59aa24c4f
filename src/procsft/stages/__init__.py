"""The steps of a study, one module each, every one the same shape: read what earlier steps
wrote in the run folder, call the step's core, record the step in the manifest.

So the steps run in one process (`procsft run`) or one per pipeline step (KFP), and a rerun
resumes: finished outputs are kept and only missing rows are made.

A name is imported from its module on first use (PEP 562): a pipeline step runs in its own
process and pays only for its own module's imports (the rollout step never loads pandas,
matplotlib or Great Expectations), which is most of what an unchanged rerun costs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from procsft.stages.analyze import after_verdicts_written, analyze_stage
    from procsft.stages.distill import distill_stage
    from procsft.stages.judge import judge_stage
    from procsft.stages.publish import publish_stage
    from procsft.stages.rejudge import rejudge_stage
    from procsft.stages.rollout import collect_episodes, configurations, rollout_stage
    from procsft.stages.suite import holdout_rows, suite_stage
    from procsft.stages.train import record_train_stage, train_stage
    from procsft.stages.validate import validate_stage

MODULE_OF = {
    "after_verdicts_written": "analyze",
    "analyze_stage": "analyze",
    "collect_episodes": "rollout",
    "configurations": "rollout",
    "distill_stage": "distill",
    "holdout_rows": "suite",
    "judge_stage": "judge",
    "publish_stage": "publish",
    "record_train_stage": "train",
    "rejudge_stage": "rejudge",
    "rollout_stage": "rollout",
    "suite_stage": "suite",
    "train_stage": "train",
    "validate_stage": "validate",
}

__all__ = [
    "after_verdicts_written",
    "analyze_stage",
    "collect_episodes",
    "configurations",
    "distill_stage",
    "holdout_rows",
    "judge_stage",
    "publish_stage",
    "record_train_stage",
    "rejudge_stage",
    "rollout_stage",
    "suite_stage",
    "train_stage",
    "validate_stage",
]


def __getattr__(name: str) -> Any:
    if name not in MODULE_OF:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{MODULE_OF[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *MODULE_OF])
