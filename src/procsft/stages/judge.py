"""The judge step: every episode × every scorer → `verdicts.jsonl` and the spend ledger."""

from __future__ import annotations

from procsft.config import StudyConfig
from procsft.judge.stage import judge_all, spend_path
from procsft.run_folder import RunFolder
from procsft.schema import Episode, Verdict, read_rows
from procsft.stages.suite import holdout_rows


def judge_stage(config: StudyConfig, run: RunFolder) -> list[Verdict]:
    """Score every episode with every scorer into `verdicts.jsonl`; the spend ledger beside it
    holds what each judge paid for."""
    _, tasks = holdout_rows(config, run)
    episodes = list(read_rows(run.episodes, Episode))
    verdicts, facts = judge_all(config, tasks, episodes, run.verdicts)
    ledger = spend_path(run.verdicts)
    outputs = [run.verdicts, *([ledger] if ledger.exists() else [])]
    run.record_stage("judge", "done", outputs, verdicts=len(verdicts), **facts)
    return verdicts
