"""The report of a summary as sections: the answer first (lift and Δ per size), then what limits
it, then the judge checks, then the detail; rendered here as Markdown (`report_html` renders the
same sections as one page, `terminal` prints the answer). Every pass rate, Δ and lift cell links
to the episodes behind it in `episodes.html`."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from procsft.analysis import report_detail as detail
from procsft.analysis.check_marks import FIELD, MARK, marked
from procsft.analysis.findings import headlines, interval, prediction_sentences
from procsft.analysis.lead import (
    answer_rows,
    answer_sentences,
    failed_checks,
    judge_check_rows,
    post_delta,
    verdict_word,
)
from procsft.analysis.limits import limits
from procsft.analysis.links import delta_link, episodes_link, lift_link
from procsft.analysis.report_detail import linked
from procsft.analysis.report_parts import Cell, Section, Table

__all__ = ["Cell", "Section", "Table", "sections", "to_markdown"]


def sections(summary: dict[str, Any]) -> list[Section]:
    """Return the report's sections, in order: the lead, then the detail."""
    plots = summary.get("plots", [])
    return [
        _answer_section(summary),
        _limits_section(summary),
        judge_checks_section(summary),
        Section(
            "Trajectory across sizes",
            text=["Sizes ordered by parameters; bars are intervals; dotted lines: references."],
            figures=[p for p in plots if "trajectory" in p and p.endswith(".png")],
        ),
        Section("SFT-attributable lift", tables=detail.lift_tables(summary["lift"])),
        Section("Procedural Δ", tables=[detail.delta_table(summary["procedural_delta"])]),
        Section("Pass rates (Wilson intervals)", tables=[detail.rate_table(summary["pass_rates"])]),
        detail.prediction_section(summary["prediction"]),
        Section("Scoring artifact", tables=detail.artifact_tables(summary["scoring_artifact"])),
        detail.agreement_section(summary.get("judge_agreement")),
        detail.skill_section(
            summary, [p for p in plots if "skill-lift" in p and p.endswith(".png")]
        ),
        Section("Inference paths", tables=detail.path_tables(summary)),
        Section(
            "Every finding",
            text=["Each sentence is made from the numbers it states."],
            items=list(summary.get("headlines") or headlines(summary)),
        ),
        Section("Run", tables=[detail.settings_table(summary)]),
    ]


def _answer_section(summary: dict[str, Any]) -> Section:
    rows = answer_rows(summary)
    several = len({r.recipe for r in rows if r.recipe}) > 1
    table = Table(
        ["size", *(["recipe"] if several else []), "scorer", "Δ pre", "interval", "Δ post"]
        + ["interval", "SFT lift", "interval", "tasks", "seeds", "reads"],
        [
            [
                row.size,
                *([row.recipe or "—"] if several else []),
                row.scorer,
                linked(row.pre["delta"], delta_link(row.pre), row.pre) if row.pre else "—",
                interval(row.pre["ci_low"], row.pre["ci_high"]) if row.pre else "—",
                Cell(
                    marked(post_delta(row)[0], next((d for d in row.post if d.get(FIELD)), None)),
                    delta_link(row.post[0]) if len(row.post) == 1 else None,
                ),
                post_delta(row)[1],
                linked(row.lift["lift"], lift_link(row.lift), row.lift) if row.lift else "—",
                interval(row.lift["ci_low"], row.lift["ci_high"]) if row.lift else "—",
                str(row.lift["n_tasks"] if row.lift else row.pre["n_tasks"] if row.pre else "—"),
                str(row.lift["n_seeds"]) if row.lift else "—",
                verdict_word(row.lift) if row.lift else "reference" if not row.post else "—",
            ]
            for row in rows
        ],
        "Δ = pass rate(curated) − pass rate(baseline); SFT lift = Δ(post) − Δ(pre), paired by "
        f"task; {summary['settings']['confidence']:.0%} intervals. Scorers in the order to trust "
        "them: LLM judges before the ANSWER:-line extractors. Every number opens its episodes.",
    )
    items: list[str | list[str | Cell]] = [*answer_sentences(summary)]
    items.append(prediction_sentences(summary["prediction"])[-1])
    return Section("The answer", items=items, tables=[table], lead=True, anchor="answer")


def _limits_section(summary: dict[str, Any]) -> Section:
    found, fine = limits(summary)
    items: list[str | list[str | Cell]] = []
    for limit in found:
        links: list[str | Cell] = []
        for i, (label, href) in enumerate(limit.links):
            links += [" — episodes: " if i == 0 else ", ", Cell(label, href)]
        items.append([f"{limit.kind.capitalize()}: {limit.text}", *links])
    text = [f"Checked and fine: {'; '.join(fine)}."] if fine else []
    return Section("What limits it", items=items, text=text, lead=True, anchor="limits")


def judge_checks_section(summary: dict[str, Any]) -> Section:
    """Return the judge checks of `summary["judge_checks"]`: the failed ones, one row each, and
    how many passed (`validate/verdicts.md` lists every check); or where they go."""
    checks = judge_check_rows(summary)
    if not checks:
        text = ["No judge checks in this summary (`judge_checks` in summary.json)."]
        return Section("Judge checks", text=text, lead=True, anchor="judge-checks")
    shown = failed_checks(summary)
    passed = len(checks) - len(shown)
    text = [
        f"{passed} of {len(checks)} checks passed"
        + (f"; {MARK} marks every pass rate, Δ and lift a failed check affects" if shown else "")
        + " (every check: validate/verdicts.md)."
    ]
    columns: list[str] = []
    for check in shown:
        columns += [k for k, v in check.items() if k not in columns and not isinstance(v, list)]
    columns = [c for c in columns if any(check.get(c) is not None for check in shown)]
    rows: list[list[str | Cell]] = [
        [
            _value(check.get(c))
            if c != "scorer" or not check.get(c)
            else Cell(str(check[c]), episodes_link(scorer=check[c]))
            for c in columns
        ]
        for check in shown
    ]
    tables = [Table(columns, rows)] if shown else []
    return Section("Judge checks", text=text, tables=tables, lead=True, anchor="judge-checks")


def _value(value: Any) -> str:
    if value is None:
        return "—"
    return value if isinstance(value, str) else json.dumps(value)


def to_markdown(summary: dict[str, Any]) -> str:
    """Return `report.md`: the sections as Markdown, plots and episodes linked by relative path."""
    lines = [f"# procsft analysis {summary.get('run', {}).get('run_id', '')}".rstrip(), ""]
    for section in sections(summary):
        lines += [f"## {section.title}", ""]
        lines += [f"- {_markdown_text(item)}" for item in section.items]
        lines += [""] if section.items else []
        for paragraph in section.text:
            lines += [paragraph, ""]
        for figure in section.figures:
            lines += [f"![{Path(figure).stem}]({figure})", ""]
        for table in section.tables:
            lines += _markdown_table(table)
    return "\n".join(lines)


def _markdown_text(item: str | Cell | Iterable[str | Cell]) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, Cell):
        return f"[{item.text}]({item.href})" if item.href else item.text
    return "".join(_markdown_text(part) for part in item)


def _markdown_table(table: Table) -> list[str]:
    def cells(values: Iterable[str | Cell]) -> str:
        return "| " + " | ".join(_markdown_text(v).replace("|", "\\|") for v in values) + " |"

    caption = [table.caption, ""] if table.caption else []
    if not table.rows:
        return [*caption, "None.", ""]
    return [
        *caption,
        cells(table.columns),
        "| " + " | ".join("---" for _ in table.columns) + " |",
        *(cells(row) for row in table.rows),
        "",
    ]
