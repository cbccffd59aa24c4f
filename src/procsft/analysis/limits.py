"""What limits a run's answer, most serious first: failed judge checks, numbers compared across
inference paths, undecided verdicts, too few tasks for a lift's interval to exclude zero, and a
single training seed. Each limit is one line; what was checked and found fine is one more."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from procsft.analysis.findings import signed
from procsft.analysis.lead import covers_zero, failed_checks, judge_check_rows, scorer_order
from procsft.analysis.links import episodes_link, lift_link

SHOWN_PER_LIMIT = 3
"""Items a limit names before it says how many more there are (the report's tables list all)."""


@dataclass(frozen=True)
class Limit:
    kind: str
    """A short name: `judge checks`, `path mismatch`, `undecided`, `too few tasks`, `seeds`."""
    text: str
    links: list[tuple[str, str]] = field(default_factory=list)
    """(label, href) pairs to the episodes behind it."""


def limits(summary: dict[str, Any]) -> tuple[list[Limit], list[str]]:
    """Return the limits in the order they weigh on the answer, and the things checked and fine."""
    found: list[Limit] = []
    fine: list[str] = []
    for check in (_judge_checks, _path_mismatch, _undecided, _too_few_tasks, _seeds):
        limit, ok = check(summary)
        if limit:
            found.append(limit)
        if ok:
            fine.append(ok)
    return found, fine


def _judge_checks(summary: dict[str, Any]) -> tuple[Limit | None, str | None]:
    checks = judge_check_rows(summary)
    if not checks:
        text = "none in this run: nothing tested whether the LLM judges can be trusted."
        return Limit("judge checks", text), None
    failed = failed_checks(summary)
    if not failed:
        return None, f"all {len(checks)} judge checks passed"
    named = "; ".join(describe_check(c) for c in failed[:SHOWN_PER_LIMIT])
    more = len(failed) - SHOWN_PER_LIMIT
    text = f"{len(failed)} of {len(checks)} failed: {named}" + (
        f"; and {more} more." if more > 0 else "."
    )
    scorers = sorted({c["scorer"] for c in failed if c.get("scorer")})
    return Limit("judge checks", text, [(s, episodes_link(scorer=s)) for s in scorers]), None


def describe_check(check: dict[str, Any]) -> str:
    """Return a check in a few words: its name, where it applies, what it observed and, when
    the check says, what was expected."""
    name = check.get("check") or check.get("name") or check.get("expectation") or "check"
    keys = ("scorer", "configuration", "condition", "skill")
    where = [str(check[k]) for k in keys if check.get(k)]
    observed = next((check[k] for k in ("observed", "value", "message") if k in check), None)
    text = str(name) + (f" ({', '.join(where)})" if where else "")
    text += "" if observed is None else f": {observed}"
    return text + (f" (expected {check['expected']})" if check.get("expected") else "")


def _path_mismatch(summary: dict[str, Any]) -> tuple[Limit | None, str | None]:
    lifts = [r for r in summary["lift"] if r.get("path_mismatch")]
    deltas = [r for r in summary["procedural_delta"] if r.get("path_mismatch")]
    if not lifts and not deltas:
        return None, "every Δ and lift pairs episodes of one inference path"
    fields = sorted({f for r in lifts + deltas for f in r["path_mismatch"]})
    text = (
        f"{len(lifts)} lift(s) and {len(deltas)} Δ(s) compare episodes of different inference "
        f"paths (they differ in {', '.join(fields)}); every such number is marked."
    )
    return Limit("path mismatch", text), None


def _undecided(summary: dict[str, Any]) -> tuple[Limit | None, str | None]:
    totals: dict[str, list[int]] = {}
    for r in summary["pass_rates"]:
        undecided, total = totals.setdefault(r["scorer"], [0, 0])
        totals[r["scorer"]] = [undecided + r["undecided"], total + r["n"] + r["undecided"]]
    shares = [(s, u, t) for s, (u, t) in totals.items() if u]
    if not shares:
        return None, "every verdict decided"
    order = {s: i for i, s in enumerate(scorer_order(summary))}
    shares.sort(key=lambda x: order.get(x[0], 99))
    judges = (summary.get("run") or {}).get("judge") or {}
    errors = {s: (judges.get(s) or {}).get("judge_errors") or 0 for s, _, _ in shares}

    def share(scorer: str, undecided: int, total: int) -> str:
        failed = f", {errors[scorer]} of them judge errors" if errors[scorer] else ""
        return f"{scorer} {undecided} of {total} ({undecided / total:.1%}{failed})"

    text = "left out of every n: " + "; ".join(share(*s) for s in shares)
    if cut := summary["counts"].get("cut_off") or 0:
        text += (
            f"; {cut} episode(s) were cut off inside a reasoning trace (no answer before the "
            "token budget ran out), undecided for every scorer"
        )
    text += "."
    if any(errors.values()):
        text += " A judge error is a request that failed after its retries;"
        text += " a rerun asks only for those."
    links = [(s, episodes_link(scorer=s, verdict="undecided")) for s, _, _ in shares]
    return Limit("undecided", text, links), None


def tasks_to_exclude_zero(lift: dict[str, Any]) -> int | None:
    """Return about how many tasks would make an interval as wide per task exclude zero at
    the observed lift (the half-width shrinks with 1/√tasks); None when the lift is zero."""
    if lift["lift"] == 0:
        return None
    half = (lift["ci_high"] - lift["ci_low"]) / 2
    return math.ceil(lift["n_tasks"] * (half / abs(lift["lift"])) ** 2)


def _too_few_tasks(summary: dict[str, Any]) -> tuple[Limit | None, str | None]:
    covering = [r for r in summary["lift"] if covers_zero(r)]
    if not summary["lift"]:
        return None, None
    if not covering:
        return None, "every lift's interval excludes zero"
    order = {s: i for i, s in enumerate(scorer_order(summary))}
    covering.sort(key=lambda r: (order.get(r["scorer"], 99), r["params"] or 0))
    parts = []
    for r in covering[:SHOWN_PER_LIMIT]:
        needed = tasks_to_exclude_zero(r)
        where = f"{r['size']} under {r['scorer']}"
        if r["ci_low"] == r["ci_high"] == 0:  # more tasks of the same kind change nothing
            parts.append(f"{where}: no task's Δ changed over {r['n_tasks']} tasks")
            continue
        at = "no lift measured" if needed is None else f"≈ {needed:,} tasks at this lift"
        parts.append(
            f"{where} {signed(r['lift'])} ± {(r['ci_high'] - r['ci_low']) / 2:.3f} over "
            f"{r['n_tasks']} tasks ({at})"
        )
    more = len(covering) - SHOWN_PER_LIMIT
    text = (
        f"{len(covering)} of {len(summary['lift'])} lift intervals cover zero: "
        + "; ".join(parts)
        + (f"; and {more} more." if more > 0 else ".")
    )
    links = [(f"{r['size']} {r['scorer']}", lift_link(r)) for r in covering[:SHOWN_PER_LIMIT]]
    return Limit("too few tasks", text, links), None


def _seeds(summary: dict[str, Any]) -> tuple[Limit | None, str | None]:
    if not summary["lift"]:
        return None, None
    seeds = max(r["n_seeds"] for r in summary["lift"])
    if seeds > 1:
        return None, f"lift intervals resample {seeds} training seeds as well as tasks"
    text = (
        "one training seed: lift intervals resample tasks only, so training variance is not "
        "in them (give the config more `seeds`)."
    )
    return Limit("seeds", text), None
