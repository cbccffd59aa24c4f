"""Agreement between scorers on the same episodes: Cohen's κ, raw agreement, the 2×2 table,
the shift of each headline Δ when one scorer replaces the other, Krippendorff's α for three
or more, and the scoring-artifact check (extractor vs judge, by condition)."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from itertools import combinations
from typing import Any

import numpy as np
from sklearn.metrics import cohen_kappa_score

from procsft.analysis.rates import paired_outcomes
from procsft.schema import Verdict


def _by_episode(verdicts: Iterable[Verdict]) -> dict[str, dict[str, Verdict]]:
    table: dict[str, dict[str, Verdict]] = defaultdict(dict)
    for v in verdicts:
        table[v.episode_id][v.scorer] = v
    return table


def kappa(a: list[bool], b: list[bool]) -> float | None:
    """Return Cohen's κ; None when it is undefined (both scorers gave one and the same label)."""
    if len(set(a) | set(b)) < 2:
        return None
    value = cohen_kappa_score(a, b, labels=[False, True])
    return None if math.isnan(value) else float(value)


def pairwise(verdicts: Sequence[Verdict]) -> list[dict[str, Any]]:
    """Return one agreement record per pair of scorers, over episodes both decided."""
    by_episode = _by_episode(verdicts)
    scorers = sorted({v.scorer for v in verdicts})
    deltas = {
        key: float((p[:, 1] - p[:, 0]).mean()) for key, p in paired_outcomes(verdicts).items()
    }
    records = []
    for a, b in combinations(scorers, 2):
        pairs = [
            (row[a].passed, row[b].passed)
            for row in by_episode.values()
            if a in row and b in row and row[a].passed is not None and row[b].passed is not None
        ]
        xs, ys = [p[0] for p in pairs], [p[1] for p in pairs]
        shifts = {
            configuration: deltas[(configuration, b)] - deltas[(configuration, a)]
            for configuration, scorer in deltas
            if scorer == a and (configuration, b) in deltas
        }
        records.append(
            {
                "a": a,
                "b": b,
                "n": len(pairs),
                "kappa": kappa(xs, ys),
                "agreement": float(np.mean([x == y for x, y in pairs])) if pairs else None,
                "table": {
                    "both_pass": sum(x and y for x, y in pairs),
                    "a_only": sum(x and not y for x, y in pairs),
                    "b_only": sum(y and not x for x, y in pairs),
                    "both_fail": sum(not x and not y for x, y in pairs),
                },
                "delta_shift": shifts,
                "max_abs_delta_shift": max((abs(s) for s in shifts.values()), default=None),
            }
        )
    return records


def krippendorff_alpha(verdicts: Sequence[Verdict]) -> float | None:
    """Return nominal Krippendorff's α over all scorers (undecided = missing), or None for
    fewer than three scorers or no variation."""
    import krippendorff

    scorers = sorted({v.scorer for v in verdicts})
    if len(scorers) < 3:
        return None
    episodes = _by_episode(verdicts)
    data = np.array(
        [
            [
                float(row[s].passed) if s in row and row[s].passed is not None else np.nan
                for row in episodes.values()
            ]
            for s in scorers
        ]
    )
    values = data[~np.isnan(data)]
    if values.size == 0 or len(set(values)) < 2:
        return None
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


def extractor_disagreements(verdicts: Sequence[Verdict], extractors: Iterable[str]) -> list[dict]:
    """Return, per extractor × other scorer × condition, how often the extractor fails what the
    other passes and the reverse: the bias the paper found against the curated condition."""
    by_episode = _by_episode(verdicts)
    scorers = sorted({v.scorer for v in verdicts})
    out = []
    for x in sorted(set(extractors) & set(scorers)):
        for judge in (s for s in scorers if s != x):
            for condition in ("baseline", "curated"):
                pairs = [
                    (row[x].passed, row[judge].passed)
                    for row in by_episode.values()
                    if x in row
                    and judge in row
                    and row[x].condition == condition
                    and row[x].passed is not None
                    and row[judge].passed is not None
                ]
                n = len(pairs)
                missed = sum(j and not e for e, j in pairs)
                extra = sum(e and not j for e, j in pairs)
                out.append(
                    {
                        "extractor": x,
                        "scorer": judge,
                        "condition": condition,
                        "n": n,
                        "extractor_fail_scorer_pass": missed,
                        "extractor_pass_scorer_fail": extra,
                        "extractor_pass_rate": sum(e for e, _ in pairs) / n if n else None,
                        "scorer_pass_rate": sum(j for _, j in pairs) / n if n else None,
                    }
                )
    return out


def agreement_report(verdicts: Sequence[Verdict], extractors: Iterable[str]) -> dict[str, Any]:
    """Return the content of `agreement.json`."""
    return {
        "pairs": pairwise(verdicts),
        "krippendorff_alpha": krippendorff_alpha(verdicts),
        "scoring_artifact": extractor_disagreements(verdicts, extractors),
    }
