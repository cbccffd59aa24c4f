"""Analysis: pass rates, procedural Δ, SFT lift, matched paths, the paper's prediction, plots,
the report and the episode browser. `analyze` is the entry point; `print_table` shows its
headline numbers."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from procsft.analysis.agreement import agreement_report
from procsft.analysis.check_marks import stamp_failed_checks
from procsft.analysis.findings import headlines
from procsft.analysis.lift import configuration_table, lifts
from procsft.analysis.paths import PathCheck, PathMismatchError, check_paths, paths_from_episodes
from procsft.analysis.prediction import check_prediction
from procsft.analysis.rates import pass_rates, procedural_deltas, task_outcomes, verdict_frame
from procsft.analysis.report import to_markdown
from procsft.analysis.report_html import to_html
from procsft.analysis.scorers import agreement_table, scoring_artifact
from procsft.analysis.terminal import headline_table as print_table
from procsft.config import Analysis
from procsft.run_files import JudgeChecks
from procsft.run_folder import write_text_atomic
from procsft.schema import Episode, Verdict, read_rows

__all__ = ["PathMismatchError", "analyze", "paths_from_episodes", "print_table", "write_agreement"]


class StudentLike(Protocol):
    name: str
    size: str
    params: int
    new: bool


def write_agreement(
    verdicts: Sequence[Verdict], extractors: Sequence[str], out: Path
) -> dict[str, Any]:
    """Return the agreement of every pair of scorers (κ, raw agreement, Δ shifts, α, the
    scoring-artifact table), after writing it to `out/agreement.json`."""
    agreement = agreement_report(verdicts, extractors)
    text = json.dumps(agreement, indent=2, allow_nan=False) + "\n"
    write_text_atomic(out / "agreement.json", text)
    return agreement


def analyze(
    verdicts: Sequence[Verdict],
    paths: Mapping[str, dict[str, Any]],
    students: Sequence[StudentLike],
    *,
    settings: Analysis,
    out: Path,
    allow_path_mismatch: bool = False,
    run_info: dict[str, Any] | None = None,
    extractors: Sequence[str] = ("extractor",),
    episodes: Sequence[Episode] | None = None,
    agreement: dict[str, Any] | None = None,
    judge_checks: JudgeChecks | None = None,
) -> dict[str, Any]:
    """Return the summary, after writing agreement.json (every pair of scorers), summary.json,
    report.md, report.html and plots/ to `out`, and `episodes.html` when the episodes are given
    or `out` holds `episodes.jsonl`. An `agreement` given is the one `write_agreement` already
    wrote for these verdicts.

    `paths` maps each path fingerprint the verdicts carry to its path dict
    (`paths_from_episodes`). Paths that do not match raise PathMismatchError unless
    `allow_path_mismatch`, which marks every affected number. `extractors` names the scorers
    compared with the others in the scoring-artifact table. `judge_checks`
    (`procsft.analysis.judge_checks`) go into the summary, and each failed one is stamped on
    every number it affects.
    """
    if episodes is None and (out / "episodes.jsonl").exists():
        episodes = list(read_rows(out / "episodes.jsonl", Episode))
    frame = verdict_frame(verdicts)
    check = check_paths(frame, paths, allow_mismatch=allow_path_mismatch)
    if agreement is None:
        agreement = write_agreement(verdicts, extractors, out)
    common = {
        "resamples": settings.resamples,
        "confidence": settings.confidence,
        "seed": settings.seed,
        "cluster_by_skill": settings.cluster_by_skill,
    }
    configurations = configuration_table(frame)
    outcomes = task_outcomes(frame)
    deltas = procedural_deltas(frame, **common)
    found, task_lifts = lifts(outcomes, configurations, **common)
    stages = configurations["stage"]
    pre = {(d.configuration, d.scorer): d.delta for d in deltas if stages[d.configuration] == "pre"}
    prediction = check_prediction(
        found,
        pre,
        task_lifts,
        {s.name for s in students if s.new},
        band=settings.prediction_band,
        **common,
    )
    sizes = _sizes(configurations, students)
    by_student = {s["student"]: s for s in sizes}
    rank = _ranks(configurations, sizes)
    deltas.sort(key=lambda d: (rank[d.configuration], d.scorer))
    rates = pass_rates(frame, confidence=settings.confidence)
    rates.sort(key=lambda r: (rank[r.configuration], r.scorer, r.condition))
    summary: dict[str, Any] = {
        "run": run_info or {},
        "settings": settings.model_dump() | {"allow_path_mismatch": allow_path_mismatch},
        "counts": {
            "verdicts": len(frame),
            "episodes": int(frame["episode_id"].nunique()),
            "tasks": int(frame["task_id"].nunique()),
            "skills": int(frame["skill_id"].nunique()),
            "scorers": sorted(frame["scorer"].unique()),
            "cut_off": int(frame.loc[frame["cut_off"], "episode_id"].nunique())
            if "cut_off" in frame
            else 0,
        },
        "extractors": [x for x in extractors if x in set(frame["scorer"])],
        "sizes": sizes,
        "configurations": {
            name: _meta(configurations, name)
            | {"path_fingerprints": check.fingerprints[name], "path_mismatch": check.fields(name)}
            for name in sorted(configurations.index, key=rank.get)
        },
        "paths": {p: dict(paths[p]) for prints in check.fingerprints.values() for p in prints},
        "path_comparisons": check.comparisons,
        "pass_rates": [r.as_dict() | _path(check, r.configuration) for r in rates],
        "procedural_delta": [
            d.as_dict() | _meta(configurations, d.configuration) | _path(check, d.configuration)
            for d in deltas
        ],
        "lift": [
            lift.as_dict()
            | {key: by_student[lift.student][key] for key in ("params", "new")}
            | {
                "path_fingerprint": {
                    "pre": check.fingerprint(lift.pre_configuration),
                    "post": [check.fingerprint(c) for c in lift.post_configurations],
                },
                "path_mismatch": check.fields(lift.pre_configuration, *lift.post_configurations),
            }
            for lift in found
        ],
        "skill_lift": _skill_lift(task_lifts, by_student),
        "scoring_artifact": {
            part: [
                row | _path(check, row["configuration"])
                for row in sorted(rows, key=lambda r: rank[r["configuration"]])
            ]
            for part, rows in scoring_artifact(frame, outcomes, extractors, **common).items()
        },
        "judge_agreement": agreement_table(agreement),
        "prediction": prediction,
    }
    if judge_checks is not None:
        summary["judge_checks"] = judge_checks.as_dict()
        summary["judge_checks"].pop("expectations", None)  # in validate/verdicts.json
        stamp_failed_checks(summary)
    # matplotlib takes about a second to import; stages that only need rates (judging) never
    # plot, so it is imported here rather than with the package.
    from procsft.analysis.trajectory import plot_skill_lift, plot_trajectory

    plots = plot_trajectory(summary, out / "plots") + plot_skill_lift(summary, out / "plots")
    summary["plots"] = [p.relative_to(out).as_posix() for p in plots]
    summary["headlines"] = headlines(summary)
    write_text_atomic(out / "summary.json", json.dumps(summary, indent=2, allow_nan=False) + "\n")
    write_text_atomic(out / "report.md", to_markdown(summary))
    write_text_atomic(out / "report.html", to_html(summary, out))
    if episodes is not None:
        # Imported here like the plots: only a run that has its episodes writes the browser.
        from procsft.analysis import episodes_page

        write_text_atomic(out / "episodes.html", episodes_page.to_html(summary, verdicts, episodes))
    return summary


def _meta(configurations: pd.DataFrame, name: str) -> dict[str, Any]:
    row = configurations.loc[name]
    return {
        "student": row["student"],
        "size": row["size"],
        "stage": row["stage"],
        "recipe": None if pd.isna(row["recipe"]) else row["recipe"],
        "train_seed": None if pd.isna(row["train_seed"]) else int(row["train_seed"]),
    }


def _path(check: PathCheck, configuration: str) -> dict[str, Any]:
    return {
        "path_fingerprint": check.fingerprint(configuration),
        "path_mismatch": check.fields(configuration),
    }


def _sizes(configurations: pd.DataFrame, students: Sequence[StudentLike]) -> list[dict[str, Any]]:
    """Return the trained-or-evaluated students ordered by parameters (unknown ones last)."""
    known = {s.name: s for s in students}
    measured = configurations[configurations["stage"] != "reference"]
    rows = []
    for name, size in measured.groupby("student")["size"].first().items():
        student = known.get(name)
        params = student.params if student else None
        rows.append(
            {"student": name, "size": size, "params": params, "new": bool(student and student.new)}
        )
    return sorted(rows, key=lambda r: (r["params"] is None, r["params"] or 0, r["student"]))


def _ranks(configurations: pd.DataFrame, sizes: list[dict[str, Any]]) -> dict[str, int]:
    """Return each configuration's place in tables: by size, then pre, post, reference last."""
    position = {s["student"]: i for i, s in enumerate(sizes)}
    stage = {"pre": 0, "post": 1, "reference": 2}
    ordered = sorted(
        configurations.itertuples(),
        key=lambda c: (
            c.stage == "reference",
            position.get(c.student, len(position)),
            stage[c.stage],
            str(c.recipe),
            -1 if pd.isna(c.train_seed) else c.train_seed,
            c.Index,
        ),
    )
    return {c.Index: i for i, c in enumerate(ordered)}


def _skill_lift(task_lifts: pd.DataFrame, sizes: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the mean lift per student × recipe × scorer × skill (the heatmap's cells)."""
    keys = ["student", "recipe", "scorer", "skill_id"]
    cells = task_lifts.groupby(keys)["lift"].agg(["mean", "count"]).reset_index()
    return [
        {
            "student": row.student,
            "size": sizes[row.student]["size"],
            "recipe": row.recipe,
            "scorer": row.scorer,
            "skill_id": row.skill_id,
            "n_tasks": int(row.count),
            "lift": float(row.mean),
        }
        for row in cells.itertuples(index=False)
    ]
