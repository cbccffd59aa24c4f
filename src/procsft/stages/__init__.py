"""The steps of a study, one module each, every one the same shape: read what earlier steps
wrote in the run folder, call the step's core, record the step in the manifest.

So the steps run in one process (`procsft run`) or one per pipeline step (KFP), and a rerun
resumes: finished outputs are kept and only missing rows are made.
"""

from procsft.stages.analyze import after_verdicts_written, analyze_stage
from procsft.stages.distill import distill_stage
from procsft.stages.judge import judge_stage
from procsft.stages.publish import publish_stage
from procsft.stages.rejudge import rejudge_stage
from procsft.stages.rollout import collect_episodes, configurations, rollout_stage
from procsft.stages.suite import holdout_rows, suite_stage
from procsft.stages.train import record_train_stage, train_stage
from procsft.stages.validate import validate_stage

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
