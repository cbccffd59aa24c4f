"""The answer a report leads with: per size, Δ before and after SFT and the SFT lift, for each
scorer in the order a reader should trust them, and the one or two sentences that state it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from procsft.analysis.findings import interval, signed


@dataclass(frozen=True)
class AnswerRow:
    """One size × recipe × scorer of the answer table (a reference has no recipe and no lift)."""

    size: str
    student: str
    recipe: str | None
    scorer: str
    pre: dict[str, Any] | None
    """The Δ row of the pre configuration (or of the reference)."""
    post: list[dict[str, Any]] = field(default_factory=list)
    """The Δ rows of the post configurations, one per training seed."""
    lift: dict[str, Any] | None = None


def scorer_order(summary: dict[str, Any]) -> list[str]:
    """Return the scorers, most trusted first: LLM judges before extractors (the paper's
    scoring artifact: an `ANSWER:`-line extractor under-counts prose answers), and any scorer
    a judge check failed last."""
    scorers = list(summary.get("counts", {}).get("scorers", []))
    extractors = [s for s in summary.get("extractors", ["extractor"]) if s in scorers]
    failed = flagged_scorers(summary)
    judges = [s for s in scorers if s not in extractors]
    ordered = judges + extractors
    return [s for s in ordered if s not in failed] + [s for s in ordered if s in failed]


def flagged_scorers(summary: dict[str, Any]) -> set[str]:
    """Return the scorers a failed judge check names (none when the summary has no checks)."""
    return {c["scorer"] for c in judge_check_rows(summary) if c.get("scorer") and _failed(c)}


def judge_check_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """Return `summary["judge_checks"]` as a list of check dicts, whether the summary holds
    the list itself or an object with a `checks` list; [] when there are none."""
    checks = summary.get("judge_checks")
    if isinstance(checks, dict):
        checks = checks.get("checks") or checks.get("results") or []
    return [c for c in checks or [] if isinstance(c, dict)]


def _failed(check: dict[str, Any]) -> bool:
    for key in ("success", "passed", "ok"):
        if key in check:
            return check[key] is False
    return str(check.get("status", "")).lower() in {"failed", "fail", "error"}


def failed_checks(summary: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in judge_check_rows(summary) if _failed(c)]


def answer_rows(summary: dict[str, Any]) -> list[AnswerRow]:
    """Return the answer table: sizes by parameters, then references; scorers in trust order."""
    rank = {s: i for i, s in enumerate(scorer_order(summary))}
    deltas = {(d["configuration"], d["scorer"]): d for d in summary["procedural_delta"]}
    rows: list[AnswerRow] = []
    for size in summary["sizes"]:
        lifts = [lift for lift in summary["lift"] if lift["student"] == size["student"]]
        for lift in sorted(lifts, key=lambda r: (str(r["recipe"]), rank.get(r["scorer"], 99))):
            rows.append(
                AnswerRow(
                    size["size"],
                    size["student"],
                    lift["recipe"],
                    lift["scorer"],
                    deltas.get((lift["pre_configuration"], lift["scorer"])),
                    [
                        deltas[(c, lift["scorer"])]
                        for c in lift["post_configurations"]
                        if (c, lift["scorer"]) in deltas
                    ],
                    lift,
                )
            )
        if not lifts:  # a size measured before SFT only
            pres = [d for d in summary["procedural_delta"] if d.get("student") == size["student"]]
            rows += [
                AnswerRow(size["size"], size["student"], None, d["scorer"], d)
                for d in sorted(pres, key=lambda d: rank.get(d["scorer"], 99))
                if d.get("stage") == "pre"
            ]
    references = [d for d in summary["procedural_delta"] if d.get("stage") == "reference"]
    rows += [
        AnswerRow(d.get("size") or d["configuration"], d["student"], None, d["scorer"], d)
        for d in sorted(references, key=lambda d: (d["configuration"], rank.get(d["scorer"], 99)))
    ]
    return rows


def post_delta(row: AnswerRow) -> tuple[str, str]:
    """Return (value, interval) of Δ(post): one seed's own interval, or the mean of several
    seeds (their intervals are in the Δ table)."""
    if not row.post:
        return "—", "—"
    if len(row.post) == 1:
        (d,) = row.post
        return signed(d["delta"]), interval(d["ci_low"], d["ci_high"])
    mean = sum(d["delta"] for d in row.post) / len(row.post)
    return signed(mean), f"mean of {len(row.post)} seeds"


def covers_zero(row: dict[str, Any]) -> bool:
    return row["ci_low"] <= 0 <= row["ci_high"]


def verdict_word(lift: dict[str, Any], short: bool = False) -> str:
    """Return what a lift interval supports, in two or three words (one or two when `short`)."""
    if covers_zero(lift):
        return "covers 0" if short else "not established"
    return (
        ("raises Δ" if short else "SFT raises Δ")
        if lift["lift"] > 0
        else ("lowers Δ" if short else "SFT lowers Δ")
    )


def answer_sentences(summary: dict[str, Any]) -> list[str]:
    """Return the lead's answer: the lift per size under the most trusted scorer, then how
    many sizes the other scorers establish it at."""
    order = scorer_order(summary)
    lifts = summary["lift"]
    if not lifts:
        return ["No SFT lift: the run has no size with both pre and post configurations."]
    top = next(s for s in order if any(lift["scorer"] == s for lift in lifts))
    sizes = {s["student"]: i for i, s in enumerate(summary["sizes"])}
    chosen = sorted((r for r in lifts if r["scorer"] == top), key=lambda r: sizes[r["student"]])
    several = len({str(r["recipe"]) for r in lifts}) > 1
    parts = [
        " ".join([r["size"], *([f"({r['recipe']})"] if several else [])])
        + f" {signed(r['lift'])} {interval(r['ci_low'], r['ci_high'])}, {verdict_word(r)}"
        for r in chosen
    ]
    out = [f"SFT lift under {top}: " + "; ".join(parts) + "."]
    others = [s for s in order if s != top and any(r["scorer"] == s for r in lifts)]
    if others:
        counts = [
            f"{s} at {sum(not covers_zero(r) for r in lifts if r['scorer'] == s)} of "
            f"{sum(r['scorer'] == s for r in lifts)}"
            for s in others
        ]
        out.append("Other scorers establish it: " + ", ".join(counts) + ".")
    return out
