"""The analyze step: verdicts → the judge-pass checks (`validate/verdicts.json`, `.md`),
`agreement.json`, `summary.json`, the report and the plots."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.console import Console

from procsft.config import StudyConfig
from procsft.run_folder import RunFolder
from procsft.schema import Episode, Verdict, read_rows

if TYPE_CHECKING:
    from procsft.run_files import JudgeChecks


@dataclass(frozen=True)
class JudgedFacts:
    """What the verdicts alone decide, before any rate or report."""

    agreement: dict[str, Any]
    """The agreement of every pair of scorers (`agreement.json`)."""
    checks: JudgeChecks
    """The judge-pass checks (`validate/verdicts.json`, `.md`)."""


def after_verdicts_written(
    config: StudyConfig,
    run: RunFolder,
    verdicts: Sequence[Verdict],
    episodes: Sequence[Episode],
) -> JudgedFacts:
    """Write `agreement.json` and the judge-pass checks of these verdicts and return them.
    Every path that writes verdicts calls it once they are written (the analyze step, and
    `procsft judge` re-scoring stored episodes), so each leaves the same files. With
    `analysis.judge_checks: fail`, a failed check raises JudgeChecksFailed (exit 1) once both
    are written."""
    from procsft.analysis import write_agreement
    from procsft.analysis.judge_checks import check_judges

    agreement = write_agreement(verdicts, extractor_names(config), run.root)
    checks = check_judges(config, run, verdicts=verdicts, episodes=episodes)
    return JudgedFacts(agreement, checks)


def extractor_names(config: StudyConfig) -> list[str]:
    """Return the config's `ANSWER:`-line scorers, the ones the others are compared with."""
    return [s.name for s in config.scorers if s.kind == "extractor"]


def analyze_stage(
    config: StudyConfig, run: RunFolder, console: Console, allow_path_mismatch: bool = False
) -> dict:
    """Check the judges (`analysis.judge_checks: fail` stops here when a check fails), write
    the summary, the report and the plots from the verdicts, print the headline table, and
    return the summary."""
    from procsft.analysis import analyze, paths_from_episodes, print_table
    from procsft.analysis.judge_checks import JudgeChecksFailed

    start = time.perf_counter()
    verdicts = list(read_rows(run.verdicts, Verdict))
    episodes = list(read_rows(run.episodes, Episode))
    try:
        judged = after_verdicts_written(config, run, verdicts, episodes)
    except JudgeChecksFailed:
        run.record_stage("analyze", "failed", [run.agreement, *_checks_files(run)])
        raise
    checks = judged.checks
    stages = run.read_manifest()["stages"]
    summary = analyze(
        verdicts,
        paths_from_episodes(episodes),
        config.students,
        settings=config.analysis,
        out=run.root,
        episodes=episodes,
        allow_path_mismatch=allow_path_mismatch,
        extractors=extractor_names(config),
        agreement=judged.agreement,
        judge_checks=checks,
        run_info={
            "run_id": run.root.name,
            "study": config.study,
            "config_fingerprint": config.fingerprint(),
            "episodes": len(episodes),
            "rollout": stages["rollout"].get("configurations", {}),
            "judge": stages["judge"].get("judges", {}),
        },
    )
    outputs = [run.agreement, run.summary, run.report, run.report_html, run.episodes_html]
    outputs += _checks_files(run)
    outputs += sorted(run.plots.glob("*"))
    run.record_stage("analyze", "done", outputs, seconds=round(time.perf_counter() - start, 2))
    print_table(summary, console)
    if not checks.success:
        console.print(
            f"judge checks: {checks.failed} of {checks.checked} failed, marked on the numbers "
            f"they affect; see {run.judge_checks.with_suffix('.md')}",
            markup=False,
            highlight=False,
        )
    console.print(f"report: {run.report_html}")
    return summary


def _checks_files(run: RunFolder) -> list:
    return [run.judge_checks, run.judge_checks.with_suffix(".md")]
