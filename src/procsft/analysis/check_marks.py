"""Which numbers a failed judge check affects, and the mark the report puts on them.

A check of one scorer × configuration × condition affects that cell's pass rate, the
configuration's Δ under that scorer and every lift that configuration enters; a check of the
episodes themselves (cut off, empty) affects those numbers under every scorer; a check of the
distilled corpus affects every post configuration (trained on it) and every lift. Each affected
row of the summary's `pass_rates`, `procedural_delta` and `lift` gets `judge_checks_failed`,
the names of the checks, so the mark travels with the number into every reader."""

from __future__ import annotations

from typing import Any

from procsft.analysis.lead import failed_checks

MARK = "⚠"
"""Follows every pass rate, Δ and lift a failed judge check affects."""
FIELD = "judge_checks_failed"


def stamp_failed_checks(summary: dict[str, Any]) -> None:
    """Add `judge_checks_failed` to every pass-rate, Δ and lift row a failed check affects."""
    failed = failed_checks(summary)
    if not failed:
        return
    stages = {name: info.get("stage") for name, info in summary["configurations"].items()}
    for table in ("pass_rates", "procedural_delta", "lift"):
        for row in summary[table]:
            if table == "lift":
                configurations = [row["pre_configuration"], *row["post_configurations"]]
            else:
                configurations = [row["configuration"]]
            names = [
                check["check"]
                for check in failed
                if _affects(check, row, configurations, stages, lift=table == "lift")
            ]
            if names:
                row[FIELD] = list(dict.fromkeys(names))


def _affects(
    check: dict[str, Any],
    row: dict[str, Any],
    configurations: list[str],
    stages: dict[str, str | None],
    *,
    lift: bool,
) -> bool:
    if check.get("skill"):  # the corpus: what was trained on it
        return lift or any(stages.get(c) == "post" for c in configurations)
    if check.get("scorer") and check["scorer"] != row.get("scorer"):
        return False
    if check.get("configuration") and check["configuration"] not in configurations:
        return False
    condition = row.get("condition")
    return not (check.get("condition") and condition and check["condition"] != condition)


def marked(text: str, row: dict[str, Any] | None) -> str:
    """Return a number's text, followed by the mark when a failed judge check affects it."""
    return f"{text} {MARK}" if row and row.get(FIELD) else text
