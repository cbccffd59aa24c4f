"""The run summary (`summary.json`), its Markdown report and the terminal table."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from procsft.analysis.rates import Delta, PassRate


def _interval(low: float | None, high: float | None, signed: bool = False) -> str:
    if low is None or high is None:
        return "—"
    fmt = "{:+.3f}" if signed else "{:.3f}"
    return f"[{fmt.format(low)}, {fmt.format(high)}]"


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def headline(delta: Delta) -> str:
    """Return the sentence a Δ supports: an interval that covers zero establishes nothing."""
    sentence = (
        f"Procedural Δ for {delta.configuration} ({delta.scorer}): {delta.delta:+.3f} "
        f"{_interval(delta.ci_low, delta.ci_high, signed=True)}, n = {delta.n_tasks} tasks"
    )
    if delta.ci_low <= 0 <= delta.ci_high:
        return sentence + " — not established: the interval covers zero."
    direction = "helps" if delta.delta > 0 else "hurts"
    return sentence + f" — the skill block {direction} this configuration."


def print_table(rates: list[PassRate], deltas: list[Delta], console: Console) -> None:
    table = Table(title="Pass rate by condition and procedural Δ (95 % intervals)")
    for column in ("configuration", "scorer", "condition", "n", "pass rate", "interval"):
        table.add_column(column, justify="right" if column in ("n", "pass rate") else "left")
    for r in rates:
        table.add_row(
            r.configuration,
            r.scorer,
            r.condition,
            str(r.n),
            _rate(r.pass_rate),
            _interval(r.ci_low, r.ci_high),
        )
    for d in deltas:
        table.add_row(
            d.configuration,
            d.scorer,
            "Δ",
            str(d.n_tasks),
            f"{d.delta:+.3f}",
            _interval(d.ci_low, d.ci_high, signed=True),
            style="bold",
        )
    console.print(table)


def render_markdown(summary: dict[str, Any], rates: list[PassRate], deltas: list[Delta]) -> str:
    """Return `report.md`: headline sentences, the rates table, and each configuration's path."""
    lines = [
        f"# procsft run {summary['run_id']}",
        "",
        f"Study `{summary['study']}`, config fingerprint `{summary['config_fingerprint'][:12]}`.",
        "",
        "## Findings",
        "",
        *[f"- {headline(d)}" for d in deltas],
        "",
        "## Pass rates (Wilson 95 % intervals)",
        "",
        "| configuration | scorer | condition | n | passed | undecided | pass rate | interval |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | --- |",
        *[
            f"| {r.configuration} | {r.scorer} | {r.condition} | {r.n} | {r.passed} | "
            f"{r.undecided} | {_rate(r.pass_rate)} | {_interval(r.ci_low, r.ci_high)} |"
            for r in rates
        ],
        "",
        "## Procedural Δ (paired bootstrap over tasks, 95 %)",
        "",
        "| configuration | scorer | tasks | baseline | curated | Δ | interval |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- |",
        *[
            f"| {d.configuration} | {d.scorer} | {d.n_tasks} | {d.baseline:.3f} | "
            f"{d.curated:.3f} | {d.delta:+.3f} | {_interval(d.ci_low, d.ci_high, signed=True)} |"
            for d in deltas
        ],
        "",
        "## Inference paths",
        "",
    ]
    for name, info in summary["configurations"].items():
        lines.append(f"- `{name}`: path `{info['path_fingerprint'][:12]}`")
        lines += [f"  - {key}: `{value}`" for key, value in sorted(info["path"].items())]
    return "\n".join(lines) + "\n"
