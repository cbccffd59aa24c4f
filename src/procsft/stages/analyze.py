"""The analyze step: verdicts → `agreement.json`, `summary.json`, the report and the plots."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from rich.console import Console

from procsft.config import StudyConfig
from procsft.run_folder import RunFolder
from procsft.schema import Episode, Verdict, read_rows


def after_verdicts_written(
    config: StudyConfig, run: RunFolder, verdicts: Sequence[Verdict]
) -> dict[str, Any]:
    """Return the agreement of every pair of scorers, after writing what the verdicts alone
    decide, before any rate or report: `agreement.json`, and the judge-pass checks of these
    verdicts. Every path that writes verdicts calls it once they are written (the analyze step,
    and `procsft judge` re-scoring stored episodes), so each leaves the same files."""
    from procsft.analysis import write_agreement

    return write_agreement(verdicts, extractor_names(config), run.root)


def extractor_names(config: StudyConfig) -> list[str]:
    """Return the config's `ANSWER:`-line scorers, the ones the others are compared with."""
    return [s.name for s in config.scorers if s.kind == "extractor"]


def analyze_stage(
    config: StudyConfig, run: RunFolder, console: Console, allow_path_mismatch: bool = False
) -> dict:
    """Write the summary, the report and the plots from the verdicts, print the headline
    table, and return the summary."""
    from procsft.analysis import analyze, paths_from_episodes, print_table

    start = time.perf_counter()
    verdicts = list(read_rows(run.verdicts, Verdict))
    episodes = list(read_rows(run.episodes, Episode))
    stages = run.read_manifest()["stages"]
    agreement = after_verdicts_written(config, run, verdicts)
    summary = analyze(
        verdicts,
        paths_from_episodes(episodes),
        config.students,
        settings=config.analysis,
        out=run.root,
        episodes=episodes,
        allow_path_mismatch=allow_path_mismatch,
        extractors=extractor_names(config),
        agreement=agreement,
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
    outputs += sorted(run.plots.glob("*"))
    run.record_stage("analyze", "done", outputs, seconds=round(time.perf_counter() - start, 2))
    print_table(summary, console)
    console.print(f"report: {run.report_html}")
    return summary
