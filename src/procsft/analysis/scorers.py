"""Scorers compared: the scoring-artifact table (extractor vs every other scorer, by condition,
and the Δ each gives) and the judge-agreement table from `agreement.json`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from procsft.analysis.bootstrap import mean_interval, stream
from procsft.analysis.rates import wilson


def scoring_artifact(
    verdicts: pd.DataFrame,
    outcomes: pd.DataFrame,
    extractors: Sequence[str],
    *,
    resamples: int,
    confidence: float,
    seed: int,
    cluster_by_skill: bool = False,
) -> dict[str, list[dict[str, Any]]]:
    """Return `pass_rates` and `deltas` comparing each extractor with each other scorer.

    `pass_rates`: per configuration × condition, both scorers' pass rates on the episodes both
    decided. `deltas`: per configuration, Δ under each scorer on the tasks both paired, and the
    difference Δ(scorer) − Δ(extractor) with a paired bootstrap interval: the paper's artifact
    was an extractor that under-counted prose answers and so lowered the curated pass rate.
    """
    wide = verdicts.set_index(["configuration", "condition", "episode_id", "scorer"])["passed"]
    wide = wide.unstack("scorer")
    diffs = (outcomes["curated"] - outcomes["baseline"]).unstack("scorer")
    skill_of = outcomes["skill_id"].groupby(level="task_id").first()
    scorers = sorted(verdicts["scorer"].unique())
    rates, deltas = [], []
    for x in sorted(set(extractors) & set(scorers)):
        for other in (s for s in scorers if s != x):
            both = wide.reindex(columns=[x, other]).dropna()
            counts = both.groupby(level=["configuration", "condition"]).agg(["sum", "count"])
            n = counts[(x, "count")].to_numpy()
            x_low, x_high = wilson(counts[(x, "sum")], n, confidence)
            o_low, o_high = wilson(counts[(other, "sum")], n, confidence)
            for i, (configuration, condition) in enumerate(counts.index):
                x_rate = counts[(x, "sum")].iloc[i] / n[i]
                o_rate = counts[(other, "sum")].iloc[i] / n[i]
                rates.append(
                    {
                        "configuration": configuration,
                        "condition": condition,
                        "extractor": x,
                        "scorer": other,
                        "n": int(n[i]),
                        "extractor_pass_rate": float(x_rate),
                        "extractor_ci_low": float(x_low[i]),
                        "extractor_ci_high": float(x_high[i]),
                        "scorer_pass_rate": float(o_rate),
                        "scorer_ci_low": float(o_low[i]),
                        "scorer_ci_high": float(o_high[i]),
                        "difference": float(o_rate - x_rate),
                    }
                )
            # reindex: a scorer that decided no pair at all (every verdict undecided) has none.
            paired = diffs.reindex(columns=[x, other]).dropna()
            for configuration, cell in paired.groupby(level="configuration"):
                shift = (cell[other] - cell[x]).to_numpy()
                low, high = mean_interval(
                    shift,
                    clusters=skill_of.loc[cell.index.get_level_values("task_id")].to_numpy()
                    if cluster_by_skill
                    else None,
                    resamples=resamples,
                    confidence=confidence,
                    rng=stream(seed, f"artifact|{configuration}|{x}|{other}"),
                )
                deltas.append(
                    {
                        "configuration": configuration,
                        "extractor": x,
                        "scorer": other,
                        "n_tasks": len(shift),
                        "extractor_delta": float(cell[x].mean()),
                        "scorer_delta": float(cell[other].mean()),
                        "difference": float(shift.mean()),
                        "ci_low": low,
                        "ci_high": high,
                    }
                )
    return {"pass_rates": rates, "deltas": deltas}


def agreement_table(agreement: dict[str, Any] | None) -> dict[str, Any] | None:
    """Return the judge-agreement rows of `agreement.json` content and the largest Δ shift."""
    if not agreement:
        return None
    pairs = []
    for record in agreement.get("pairs", []):
        shifts = record.get("delta_shift") or {}
        worst = max(shifts, key=lambda c: abs(shifts[c]), default=None)
        pairs.append(
            {
                "a": record["a"],
                "b": record["b"],
                "n": record.get("n"),
                "kappa": record.get("kappa"),
                "agreement": record.get("agreement"),
                "max_abs_delta_shift": None if worst is None else abs(shifts[worst]),
                "max_shift_configuration": worst,
                "delta_shift": shifts,
            }
        )
    shifted = [p for p in pairs if p["max_abs_delta_shift"] is not None]
    largest = max(shifted, key=lambda p: p["max_abs_delta_shift"], default=None)
    return {
        "pairs": pairs,
        "krippendorff_alpha": agreement.get("krippendorff_alpha"),
        "largest_delta_shift": None
        if largest is None
        else {
            "a": largest["a"],
            "b": largest["b"],
            "configuration": largest["max_shift_configuration"],
            "shift": largest["max_abs_delta_shift"],
        },
    }
