"""The judge step: every episode × every scorer → `verdicts.jsonl` and the spend ledger."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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
    # Verdicts that `procsft judge` wrote here under another config may carry scorer names
    # this config defines otherwise: they are all made again (cached replies cost nothing).
    scored_under = run.stage("judge").facts.get("config_fingerprint")
    rescore = scored_under not in (None, config.fingerprint())
    verdicts, facts = judge_all(config, tasks, episodes, run.verdicts, rescore=rescore)
    record_judge_stage(config, run, verdicts, facts)
    return verdicts


def record_judge_stage(
    config: StudyConfig, run: RunFolder, verdicts: Sequence[Verdict], facts: dict[str, Any]
) -> None:
    """Record the judge step: the verdicts and the spend ledger (when a judge paid for
    anything), with the verdict count, each judge's facts and the config they were scored
    under."""
    ledger = spend_path(run.verdicts)
    outputs = [run.verdicts, *([ledger] if ledger.exists() else [])]
    run.record_stage(
        "judge",
        "done",
        outputs,
        verdicts=len(verdicts),
        config_fingerprint=config.fingerprint(),
        **facts,
    )
