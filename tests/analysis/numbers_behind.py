"""The verdict rows behind a report link, worked out from what the linked number means (not from
the page's filter code), and that number recomputed from those rows, for the browser tests."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from statistics import mean
from typing import Any

from procsft.analysis.links import parse_fragment
from procsft.schema import Verdict


def _task_deltas(rows: Sequence[Verdict]) -> dict[str, dict[str, float]]:
    """Return configuration → task → Δ of that task (its seeds' mean, curated − baseline)."""
    outcomes: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for v in rows:
        if v.passed is not None:
            outcomes[(v.configuration, v.task_id, v.condition)].append(float(v.passed))
    deltas: dict[str, dict[str, float]] = defaultdict(dict)
    for (configuration, task, condition), values in outcomes.items():
        other = outcomes.get((configuration, task, "baseline"))
        if condition == "curated" and other:
            deltas[configuration][task] = mean(values) - mean(other)
    return deltas


def paired_tasks(
    verdicts: Sequence[Verdict], configurations: Sequence[str], scorer: str
) -> set[str]:
    """Return the tasks every configuration decided under both conditions under `scorer`."""
    rows = [v for v in verdicts if v.scorer == scorer and v.configuration in configurations]
    deltas = _task_deltas(rows)
    sets = [set(deltas.get(c, {})) for c in configurations]
    return set.intersection(*sets) if sets else set()


def rows_behind(fragment: str, verdicts: Sequence[Verdict]) -> list[Verdict]:
    """Return the verdicts a linked number counts. Links are of four kinds: a pass rate (one
    configuration, condition and scorer, decided verdicts), a Δ or lift (`paired`: decided
    verdicts of the tasks every named configuration decided under both conditions), undecided
    verdicts, and every verdict of a scorer."""
    f = parse_fragment(fragment)
    configurations, scorers = f.get("configuration", []), f.get("scorer", [])
    skills, conditions, wanted = f.get("skill", []), f.get("condition", []), f.get("verdict", [])

    def keep(v: Verdict) -> bool:
        return (
            (not configurations or v.configuration in configurations)
            and (not scorers or v.scorer in scorers)
            and (not skills or v.skill_id in skills)
            and (not conditions or v.condition in conditions)
        )

    rows = [v for v in verdicts if keep(v)]
    if f.get("paired") == ["1"]:
        (scorer,) = scorers
        tasks = paired_tasks(verdicts, f.get("pair") or configurations, scorer)
        rows = [v for v in rows if v.task_id in tasks]
    if wanted == ["undecided"]:
        return [v for v in rows if v.passed is None]
    if wanted:
        assert sorted(wanted) == ["fail", "pass"], fragment
        return [v for v in rows if v.passed is not None]
    return rows


def number_of(fragment: str, rows: Sequence[Verdict], summary: dict[str, Any]) -> tuple:
    """Return (what the summary says, the same recomputed from `rows`) for a link's number."""
    f = parse_fragment(fragment)
    configurations, (scorer,) = f.get("configuration", []), f.get("scorer", [None])
    if f.get("verdict") == ["undecided"]:
        if not configurations:  # a limit's link: every undecided verdict of a scorer
            said = sum(r["undecided"] for r in summary["pass_rates"] if r["scorer"] == scorer)
            return said, len(rows)
        (row,) = [
            r
            for r in summary["pass_rates"]
            if (r["configuration"], r["condition"], r["scorer"])
            == (configurations[0], f["condition"][0], scorer)
        ]
        return row["undecided"], len(rows)
    if f.get("paired") != ["1"]:
        (row,) = [
            r
            for r in summary["pass_rates"]
            if (r["configuration"], r["condition"], r["scorer"])
            == (configurations[0], f["condition"][0], scorer)
        ]
        return (row["n"], row["passed"]), (len(rows), sum(bool(v.passed) for v in rows))
    deltas = _task_deltas(rows)
    if len(configurations) == 1:
        (row,) = [
            d
            for d in summary["procedural_delta"]
            if (d["configuration"], d["scorer"]) == (configurations[0], scorer)
        ]
        values = deltas[configurations[0]]
        return (row["n_tasks"], round(row["delta"], 9)), (
            len(values),
            round(mean(values.values()), 9),
        )
    pre, *posts = configurations
    tasks = sorted(deltas[pre])
    lift = mean(mean(deltas[p][t] - deltas[pre][t] for t in tasks) for p in posts)
    if f.get("skill"):
        (row,) = [
            s
            for s in summary["skill_lift"]
            if (s["scorer"], s["skill_id"]) == (scorer, f["skill"][0])
            and any(
                r["pre_configuration"] == pre and r["recipe"] == s["recipe"]
                for r in summary["lift"]
                if r["student"] == s["student"]
            )
        ]
        return (row["n_tasks"], round(row["lift"], 9)), (len(tasks), round(lift, 9))
    (row,) = [r for r in summary["lift"] if r["pre_configuration"] == pre and r["scorer"] == scorer]
    said = next(
        (s["lift"] for s in row["seeds"] if [s["configuration"]] == posts),
        row["lift"],
    )
    return (row["n_tasks"], round(said, 9)), (len(tasks), round(lift, 9))
