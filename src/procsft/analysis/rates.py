"""Pass rates with Wilson intervals, and procedural Δ with a paired bootstrap and McNemar's test.

Verdicts become one table (`verdict_frame`) once; every function here also accepts that table,
so an analysis converts the rows a single time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.proportion import proportion_confint

from procsft.analysis.bootstrap import mean_interval, stream
from procsft.reasoning import CUT_OFF
from procsft.schema import EPISODE_KEYS, Verdict

CONFIDENCE = 0.95
COLUMNS = (*EPISODE_KEYS, "scorer", "episode_id", "passed")
Verdicts = Iterable[Verdict] | pd.DataFrame


@dataclass(frozen=True)
class PassRate:
    configuration: str
    condition: str
    scorer: str
    n: int
    passed: int
    undecided: int
    cut_off: int
    """Of the undecided verdicts, those on episodes whose reasoning trace never closed."""
    pass_rate: float | None
    """None when every verdict was undecided (n = 0)."""
    ci_low: float | None
    ci_high: float | None
    confidence: float = CONFIDENCE

    def as_dict(self) -> dict:
        return asdict(self) | {"ci_method": "wilson"}


@dataclass(frozen=True)
class Delta:
    configuration: str
    scorer: str
    n_tasks: int
    baseline: float
    curated: float
    delta: float
    ci_low: float
    ci_high: float
    resamples: int
    confidence: float = CONFIDENCE
    ci_method: str = "paired bootstrap over tasks"
    mcnemar_pairs: int | None = None
    """Paired binary outcomes in McNemar's table: one per task and rollout seed."""
    baseline_only: int | None = None
    """Pairs that pass under baseline and fail under curated."""
    curated_only: int | None = None
    """Pairs that pass under curated and fail under baseline."""
    mcnemar_p: float | None = None
    """Exact (binomial) McNemar p-value of baseline vs curated."""

    def as_dict(self) -> dict:
        return asdict(self)


def verdict_frame(verdicts: Verdicts) -> pd.DataFrame:
    """Return the verdicts as one table, `passed` as 1.0 / 0.0 / NaN (undecided), and
    `cut_off` true for the verdicts on episodes cut off inside a reasoning trace."""
    if isinstance(verdicts, pd.DataFrame):
        return verdicts
    records = [(*(getattr(v, c) for c in COLUMNS), v.reason.startswith(CUT_OFF)) for v in verdicts]
    frame = pd.DataFrame.from_records(records, columns=[*COLUMNS, "cut_off"])
    frame["passed"] = frame["passed"].map({True: 1.0, False: 0.0}).astype(float)
    return frame


def wilson(passed: np.ndarray, n: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Return Wilson interval bounds for each (passed, n); NaN where n = 0."""
    passed, n = np.asarray(passed, dtype=float), np.asarray(n, dtype=float)
    low, high = np.full(n.shape, np.nan), np.full(n.shape, np.nan)
    some = n > 0
    if some.any():
        low[some], high[some] = proportion_confint(
            passed[some], n[some], alpha=1 - confidence, method="wilson"
        )
    return low, high


def _none_if_nan(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def pass_rates(verdicts: Verdicts, *, confidence: float = CONFIDENCE) -> list[PassRate]:
    """Return one pass rate per configuration × condition × scorer; undecided verdicts excluded."""
    frame = verdict_frame(verdicts)
    groups = frame.groupby(["configuration", "condition", "scorer"])
    counts = groups["passed"].agg(["count", "sum", "size"])
    # A frame built by hand may lack the column: then nothing was cut off.
    cut = groups["cut_off"].sum() if "cut_off" in frame else pd.Series(0, index=counts.index)
    low, high = wilson(counts["sum"], counts["count"], confidence)
    rates = []
    for (configuration, condition, scorer), n, passed, total, cut_off, lo, hi in zip(
        counts.index,
        counts["count"],
        counts["sum"],
        counts["size"],
        cut.reindex(counts.index),
        low,
        high,
        strict=True,
    ):
        rate = passed / n if n else np.nan
        rates.append(
            PassRate(
                configuration,
                condition,
                scorer,
                int(n),
                int(passed),
                int(total - n),
                int(cut_off),
                _none_if_nan(rate),
                _none_if_nan(lo),
                _none_if_nan(hi),
                confidence,
            )
        )
    return rates


def task_outcomes(verdicts: Verdicts) -> pd.DataFrame:
    """Return one row per configuration × scorer × task decided under both conditions.

    Columns: `skill_id`, and `baseline` and `curated`, the task's pass rates averaged over
    rollout seeds. Indexed by (configuration, scorer, task_id), sorted.
    """
    decided = verdict_frame(verdicts).dropna(subset=["passed"])
    keys = ["configuration", "scorer", "task_id", "skill_id", "condition"]
    means = decided.groupby(keys)["passed"].mean().unstack("condition")
    means = means.reindex(columns=["baseline", "curated"]).dropna()
    return means.reset_index("skill_id").sort_index()


def paired_outcomes(verdicts: Verdicts) -> dict[tuple[str, str], np.ndarray]:
    """Return, per (configuration, scorer), one row per task: its (baseline, curated) pass
    rates averaged over seeds. Tasks undecided under either condition are left out."""
    outcomes = task_outcomes(verdicts)
    return {
        key: cell[["baseline", "curated"]].to_numpy()
        for key, cell in outcomes.groupby(level=["configuration", "scorer"])
    }


def mcnemar_tables(verdicts: Verdicts) -> pd.DataFrame:
    """Return McNemar's 2×2 counts per (configuration, scorer) over task × seed pairs.

    Columns `both`, `baseline_only`, `curated_only`, `neither`. The test needs binary pairs, so
    with several rollout seeds each seed's pair of a task counts once.
    """
    decided = verdict_frame(verdicts).dropna(subset=["passed"])
    keys = ["configuration", "scorer", "task_id", "seed", "condition"]
    pairs = decided.groupby(keys)["passed"].first().unstack("condition")
    pairs = pairs.reindex(columns=["baseline", "curated"]).dropna().astype(bool)
    cells = pd.DataFrame(
        {
            "both": pairs.baseline & pairs.curated,
            "baseline_only": pairs.baseline & ~pairs.curated,
            "curated_only": ~pairs.baseline & pairs.curated,
            "neither": ~pairs.baseline & ~pairs.curated,
        }
    )
    return cells.groupby(level=["configuration", "scorer"]).sum()


def procedural_deltas(
    verdicts: Verdicts,
    *,
    resamples: int = 2000,
    seed: int = 0,
    confidence: float = CONFIDENCE,
    cluster_by_skill: bool = False,
) -> list[Delta]:
    """Return Δ = pass(curated) − pass(baseline) per configuration × scorer.

    Each task is a pair (its baseline and curated outcomes, averaged over seeds); the interval
    resamples tasks with replacement, or whole skills with `cluster_by_skill`. Each Δ carries
    the exact McNemar test of its task × seed pairs.
    """
    frame = verdict_frame(verdicts)
    outcomes = task_outcomes(frame)
    # A task whose conditions were only decided under different seeds has no binary pair.
    tables = mcnemar_tables(frame).reindex(
        outcomes.index.droplevel("task_id").unique(), fill_value=0
    )
    method = f"paired bootstrap over {'skills' if cluster_by_skill else 'tasks'}"
    deltas = []
    for (configuration, scorer), cell in outcomes.groupby(level=["configuration", "scorer"]):
        diffs = (cell["curated"] - cell["baseline"]).to_numpy()
        low, high = mean_interval(
            diffs,
            clusters=cell["skill_id"].to_numpy() if cluster_by_skill else None,
            resamples=resamples,
            confidence=confidence,
            rng=stream(seed, f"{configuration}|{scorer}"),
        )
        table = tables.loc[(configuration, scorer)]
        test = mcnemar(
            [[table["both"], table["baseline_only"]], [table["curated_only"], table["neither"]]],
            exact=True,
        )
        deltas.append(
            Delta(
                configuration,
                scorer,
                len(diffs),
                float(cell["baseline"].mean()),
                float(cell["curated"].mean()),
                float(diffs.mean()),
                low,
                high,
                resamples,
                confidence,
                method,
                int(table.sum()),
                int(table["baseline_only"]),
                int(table["curated_only"]),
                float(test.pvalue),
            )
        )
    return deltas
