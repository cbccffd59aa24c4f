"""Shared by the benchmarks: print a ratio table and merge results into results.json, with the
machine they were measured on (core count, versions)."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path

from procsft.versions import BENCHMARK, package_versions

RESULTS = Path(__file__).with_name("results.json")


def machine() -> dict:
    """Return what the figures depend on: cores, CPU, Python and the packages measured."""
    return {
        "cores": os.cpu_count(),
        "cpu": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        **package_versions(BENCHMARK),
    }


def verdict(row: dict) -> str:
    """Return "ok" or "BELOW GOAL" / "ABOVE GOAL" for a row with `goal` (≥) or `goal_max` (≤)."""
    if "goal" in row:
        return "ok" if row["value"] >= row["goal"] else "BELOW GOAL"
    if "goal_max" in row:
        return "ok" if row["value"] <= row["goal_max"] else "ABOVE GOAL"
    return ""


def goal_text(row: dict) -> str:
    if "goal" in row:
        return f"(goal ≥ {row['goal']})"
    if "goal_max" in row:
        return f"(goal ≤ {row['goal_max']})"
    return ""


def show(name: str, rows: list[dict]) -> None:
    print(f"\n{name}")
    for row in rows:
        shown = f"{row['value']:.3f}" if isinstance(row["value"], float) else row["value"]
        tail = f"  {goal_text(row)}  {verdict(row)}" if goal_text(row) else ""
        print(f"  {row['metric']:<64} {shown:>10}{tail}")


def record(name: str, rows: list[dict]) -> None:
    """Print `rows` ({metric, value, goal or goal_max}) and store them under `name`."""
    show(name, rows)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results[name] = {"machine": machine(), "rows": rows}
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
