"""The summary printed at the end of a run: the answer (Δ before and after SFT and the lift per
size), Δ per configuration, and what limits them, readable at 80 columns.

Configuration names are never cut: each student's configurations are listed under a row with
the student's name, without that prefix (`post/lora-r8/seed0` under `smollm2-135m` stands for
`smollm2-135m/post/lora-r8/seed0`), the table says so in its legend, and a name still too long
for its column wraps instead of being cut.
"""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from procsft.analysis.check_marks import FIELD, MARK, marked
from procsft.analysis.findings import interval, prediction_sentences, signed
from procsft.analysis.lead import (
    answer_rows,
    failed_checks,
    post_delta,
    scorer_order,
    verdict_word,
)
from procsft.analysis.limits import limits


def headline_table(summary: dict[str, Any], console: Console) -> None:
    """Print the answer table, the Δ per configuration, the limits and the prediction."""
    confidence = f"{summary['settings']['confidence']:.0%}"
    console.print(_answer_table(summary, confidence))
    console.print()
    console.print(_delta_table(summary, confidence))
    console.print()
    found, fine = limits(summary)
    # A grid wraps each limit under its own text (a hanging indent), not under its number.
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for i, limit in enumerate(found, start=1):
        grid.add_row(f"{i}.", Text(f"{limit.kind}: {limit.text}"))
    if fine:
        grid.add_row("ok", Text(f"{'; '.join(fine)}."))
    grid.add_row("→", Text(prediction_sentences(summary["prediction"])[-1]))
    console.print(Text("What limits it", style="bold"))
    console.print(grid)


def _table(title: str, caption: str | None = None) -> Table:
    return Table(
        title=title,
        caption=caption,
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
        title_justify="left",
        caption_justify="left",
    )


def _answer_table(summary: dict[str, Any], confidence: str) -> Table:
    rows = answer_rows(summary)
    recipes = {r.recipe for r in rows if r.recipe}
    single = f", recipe {next(iter(recipes))}" if len(recipes) == 1 else ""
    table = _table(
        f"SFT lift by size ({confidence} intervals{single})",
        "Δ = curated − baseline pass rate; lift = Δ post − Δ pre, paired by task; n = tasks; "
        "a reference's Δ stands under Δ pre. Scorers most trusted first.",
    )
    table.add_column("size", overflow="fold")
    if len(recipes) > 1:
        table.add_column("recipe", overflow="fold")
    table.add_column("scorer", overflow="fold")
    for name in ("Δ pre", "Δ post"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column(escape("lift [interval]"), no_wrap=True)
    table.add_column("n", justify="right", no_wrap=True)
    table.add_column("reads", no_wrap=True)
    for row in rows:
        lift = row.lift
        table.add_row(
            row.size,
            *([row.recipe or "—"] if len(recipes) > 1 else []),
            row.scorer,
            marked(signed(row.pre["delta"]), row.pre) if row.pre else "—",
            marked(post_delta(row)[0], next((d for d in row.post if d.get(FIELD)), None)),
            f"{marked(signed(lift['lift']), lift)} {interval(lift['ci_low'], lift['ci_high'])}"
            if lift
            else "—",
            str(lift["n_tasks"] if lift else row.pre["n_tasks"] if row.pre else "—"),
            verdict_word(lift, short=True) if lift else "reference" if not row.post else "",
            style="bold" if row.scorer == rows[0].scorer else None,
        )
    return table


def short_names(summary: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Return each configuration's (student, name without the student prefix)."""
    out = {}
    for name, info in summary["configurations"].items():
        student = info.get("student") or name.split("/", 1)[0]
        prefix = f"{student}/"
        out[name] = (student, name.removeprefix(prefix) if name.startswith(prefix) else name)
    return out


def _delta_table(summary: dict[str, Any], confidence: str) -> Table:
    names = short_names(summary)
    example = next(
        ((full, short) for full, (_, short) in names.items() if "/" in short), None
    ) or next(iter((full, short) for full, (_, short) in names.items()), ("", ""))
    student = names.get(example[0], ("", ""))[0]
    legend = (
        f"Names under a student omit it: {example[1]} under {student} is {example[0]}. "
        "! marks a number compared across inference paths"
        + (f", {MARK} one a failed judge check affects." if failed_checks(summary) else ".")
    )
    table = _table(f"Procedural Δ per configuration ({confidence} intervals)", legend)
    table.add_column("configuration", overflow="fold", min_width=min(_longest(names), 30))
    table.add_column("scorer", overflow="fold")
    table.add_column("tasks", justify="right", no_wrap=True)
    table.add_column("Δ", justify="right", no_wrap=True)
    table.add_column("interval", no_wrap=True)
    shown = None
    trust = {s: i for i, s in enumerate(scorer_order(summary))}
    order = {name: i for i, name in enumerate(summary["configurations"])}
    rows = sorted(
        summary["procedural_delta"],
        key=lambda d: (order.get(d["configuration"], len(order)), trust.get(d["scorer"], 99)),
    )
    for d in rows:
        owner, short = names.get(d["configuration"], (d["configuration"], d["configuration"]))
        if owner != shown:
            table.add_row(f"[bold]{escape(owner)}[/bold]")
            shown = owner
        table.add_row(
            f"  {short}",
            d["scorer"],
            str(d["n_tasks"]),
            marked(signed(d["delta"]) + ("!" if d.get("path_mismatch") else ""), d),
            interval(d["ci_low"], d["ci_high"]),
        )
    return table


def _longest(names: dict[str, tuple[str, str]]) -> int:
    return max((len(short) + 2 for _, short in names.values()), default=10)
