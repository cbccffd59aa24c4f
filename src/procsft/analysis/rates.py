"""Pass rates with Wilson intervals, and procedural Δ with a paired bootstrap over tasks."""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass

import numpy as np
from statsmodels.stats.proportion import proportion_confint

from procsft.schema import Verdict

CONFIDENCE = 0.95


@dataclass(frozen=True)
class PassRate:
    configuration: str
    condition: str
    scorer: str
    n: int
    passed: int
    undecided: int
    pass_rate: float | None
    """None when every verdict was undecided (n = 0)."""
    ci_low: float | None
    ci_high: float | None

    def as_dict(self) -> dict:
        return asdict(self) | {"ci_method": "wilson", "confidence": CONFIDENCE}


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

    def as_dict(self) -> dict:
        return asdict(self) | {"ci_method": "paired bootstrap over tasks", "confidence": CONFIDENCE}


def pass_rates(verdicts: Iterable[Verdict]) -> list[PassRate]:
    """Return one pass rate per configuration × condition × scorer; undecided verdicts excluded."""
    groups: dict[tuple[str, str, str], list[bool | None]] = defaultdict(list)
    for v in verdicts:
        groups[(v.configuration, v.condition, v.scorer)].append(v.passed)
    rates = []
    for (configuration, condition, scorer), outcomes in sorted(groups.items()):
        decided = [o for o in outcomes if o is not None]
        n, passed = len(decided), sum(decided)
        if n:
            low, high = proportion_confint(passed, n, alpha=1 - CONFIDENCE, method="wilson")
            rate, low, high = passed / n, float(low), float(high)
        else:
            rate = low = high = None
        undecided = len(outcomes) - n
        rates.append(
            PassRate(configuration, condition, scorer, n, passed, undecided, rate, low, high)
        )
    return rates


def paired_outcomes(verdicts: Iterable[Verdict]) -> dict[tuple[str, str], np.ndarray]:
    """Return, per (configuration, scorer), one row per task: its (baseline, curated) pass
    rates averaged over seeds. Tasks undecided under either condition are left out."""
    cells: dict[tuple[str, str], dict[str, dict[str, list[bool]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(list))
    )
    for v in verdicts:
        if v.passed is not None:
            cells[(v.configuration, v.scorer)][v.task_id][v.condition].append(v.passed)
    out = {}
    for key, tasks in sorted(cells.items()):
        pairs = [
            (np.mean(c["baseline"]), np.mean(c["curated"]))
            for _, c in sorted(tasks.items())
            if c["baseline"] and c["curated"]
        ]
        if pairs:
            out[key] = np.array(pairs)
    return out


def procedural_deltas(
    verdicts: Iterable[Verdict], *, resamples: int = 2000, seed: int = 0
) -> list[Delta]:
    """Return Δ = pass(curated) − pass(baseline) per configuration × scorer.

    Each task is a pair (its baseline and curated outcomes, averaged over seeds); the interval
    resamples tasks with replacement.
    """
    deltas = []
    tail = (1 - CONFIDENCE) / 2 * 100
    for (configuration, scorer), pairs in paired_outcomes(verdicts).items():
        # One stream per cell: adding a configuration leaves every other interval unchanged.
        rng = np.random.default_rng([seed, zlib.crc32(f"{configuration}|{scorer}".encode())])
        diffs = pairs[:, 1] - pairs[:, 0]
        boot = diffs[rng.integers(0, len(diffs), size=(resamples, len(diffs)))].mean(axis=1)
        low, high = np.percentile(boot, [tail, 100 - tail])
        deltas.append(
            Delta(
                configuration,
                scorer,
                len(pairs),
                float(pairs[:, 0].mean()),
                float(pairs[:, 1].mean()),
                float(diffs.mean()),
                float(low),
                float(high),
                resamples,
            )
        )
    return deltas
