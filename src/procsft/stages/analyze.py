"""The analyze step: verdicts → the judge-pass checks (`validate/verdicts.json`, `.md`),
`agreement.json`, `summary.json`, the report and the plots."""

from __future__ import annotations

import time

from rich.console import Console

from procsft.config import StudyConfig
from procsft.run_folder import RunFolder
from procsft.schema import Episode, Verdict, read_rows


def analyze_stage(
    config: StudyConfig, run: RunFolder, console: Console, allow_path_mismatch: bool = False
) -> dict:
    """Check the judges (`analysis.judge_checks: fail` stops here when a check fails), write
    the summary, the report and the plots from the verdicts, print the headline table, and
    return the summary."""
    from procsft.analysis import analyze, paths_from_episodes, print_table
    from procsft.analysis.judge_checks import JudgeChecksFailed, check_judges

    start = time.perf_counter()
    verdicts = list(read_rows(run.verdicts, Verdict))
    episodes = list(read_rows(run.episodes, Episode))
    try:
        checks = check_judges(config, run, verdicts=verdicts, episodes=episodes)
    except JudgeChecksFailed:
        run.record_stage("analyze", "failed", _checks_files(run))
        raise
    stages = run.read_manifest()["stages"]
    summary = analyze(
        verdicts,
        paths_from_episodes(episodes),
        config.students,
        settings=config.analysis,
        out=run.root,
        episodes=episodes,
        allow_path_mismatch=allow_path_mismatch,
        judge_checks=checks,
        extractors=[s.name for s in config.scorers if s.kind == "extractor"],
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
