"""The judge step: every episode × every scorer → `verdicts.jsonl` and the spend ledger."""

from __future__ import annotations

from procsft.config import StudyConfig
from procsft.judge.stage import judge_all
from procsft.run_folder import RunFolder
from procsft.schema import Episode, Verdict, read_rows
from procsft.stages.suite import holdout_rows


def judge_stage(config: StudyConfig, run: RunFolder) -> list[Verdict]:
    """Score every episode with every scorer into `verdicts.jsonl`, and `agreement.json`."""
    _, tasks = holdout_rows(config, run)
    episodes = list(read_rows(run.episodes, Episode))
    verdicts, facts = judge_all(config, tasks, episodes, run.verdicts, run.agreement)
    run.record_stage(
        "judge", "done", [run.verdicts, run.agreement], verdicts=len(verdicts), **facts
    )
    return verdicts
