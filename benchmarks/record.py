"""Shared by the benchmarks: print a ratio table and merge results into results.json."""

from __future__ import annotations

import json
import platform
from pathlib import Path

RESULTS = Path(__file__).with_name("results.json")


def record(name: str, rows: list[dict]) -> None:
    """Print `rows` ({metric, value, goal}) as a table and store them under `name`."""
    print(f"\n{name}")
    for row in rows:
        goal = row.get("goal")
        verdict = "" if goal is None else ("  ok" if row["value"] >= goal else "  BELOW GOAL")
        shown = f"{row['value']:.3f}" if isinstance(row["value"], float) else row["value"]
        print(
            f"  {row['metric']:<58} {shown:>10}{'' if goal is None else f'  (goal ≥ {goal})'}"
            f"{verdict}"
        )
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results[name] = {"machine": platform.processor() or platform.machine(), "rows": rows}
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
