"""The report of a summary: its sections rendered as Markdown, as one self-contained HTML page,
and its headline numbers as a terminal table."""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table as RichTable

from procsft.analysis.findings import (
    agreement_sentence,
    interval,
    mismatch,
    rate,
    signed,
)


@dataclass
class Table:
    columns: list[str]
    rows: list[list[str]]
    caption: str = ""


@dataclass
class Section:
    title: str
    items: list[str] = field(default_factory=list)
    """Bullet points (the headline sentences)."""
    text: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)
    """PNG paths relative to the report's folder."""


def sections(summary: dict[str, Any]) -> list[Section]:
    """Return the report's sections, in order."""
    plots = summary.get("plots", [])
    return [
        Section("Findings", items=summary["headlines"]),
        Section(
            "Trajectory across sizes",
            text=["Sizes ordered by parameters; bars are intervals; dotted lines: references."],
            figures=[p for p in plots if "trajectory" in p and p.endswith(".png")],
        ),
        Section("SFT-attributable lift", tables=_lift_tables(summary["lift"])),
        Section("Procedural Δ", tables=[_delta_table(summary["procedural_delta"])]),
        Section("Pass rates (Wilson intervals)", tables=[_rate_table(summary["pass_rates"])]),
        _prediction_section(summary["prediction"]),
        Section("Scoring artifact", tables=_artifact_tables(summary["scoring_artifact"])),
        _agreement_section(summary.get("judge_agreement")),
        Section(
            "SFT lift per skill",
            figures=[p for p in plots if "skill-lift" in p and p.endswith(".png")],
        ),
        Section("Inference paths", tables=_path_tables(summary)),
        Section("Run", tables=[_settings_table(summary)]),
    ]


def _lift_tables(lifts: list[dict[str, Any]]) -> list[Table]:
    main = Table(
        ["size", "recipe", "scorer", "tasks", "seeds", "lift", "interval", "seed sd", "mismatch"],
        [
            [
                lift["size"],
                lift["recipe"],
                lift["scorer"],
                str(lift["n_tasks"]),
                str(lift["n_seeds"]),
                signed(lift["lift"]),
                interval(lift["ci_low"], lift["ci_high"]),
                rate(lift.get("seed_std")),
                mismatch(lift),
            ]
            for lift in lifts
        ],
        "Δ(post) − Δ(pre), paired by task; the interval also resamples training seeds.",
    )
    seeds = Table(
        ["post configuration", "scorer", "train seed", "lift", "interval"],
        [
            [
                s["configuration"],
                lift["scorer"],
                str(s["train_seed"]),
                signed(s["lift"]),
                interval(s["ci_low"], s["ci_high"]),
            ]
            for lift in lifts
            for s in lift["seeds"]
        ],
        "Per training seed.",
    )
    return [main, seeds]


def _delta_table(deltas: list[dict[str, Any]]) -> Table:
    columns = ["configuration", "scorer", "tasks", "baseline", "curated", "Δ", "interval"]
    return Table(
        [*columns, "base only", "curated only", "McNemar p", "mismatch"],
        [
            [
                d["configuration"],
                d["scorer"],
                str(d["n_tasks"]),
                rate(d["baseline"]),
                rate(d["curated"]),
                signed(d["delta"]),
                interval(d["ci_low"], d["ci_high"]),
                str(d["baseline_only"]),
                str(d["curated_only"]),
                f"{d['mcnemar_p']:.3g}",
                mismatch(d),
            ]
            for d in deltas
        ],
        "Paired bootstrap; McNemar's exact test on task × seed pairs.",
    )


def _rate_table(rates: list[dict[str, Any]]) -> Table:
    columns = ["configuration", "scorer", "condition", "n", "passed", "undecided"]
    return Table(
        [*columns, "pass rate", "interval", "mismatch"],
        [
            [
                r["configuration"],
                r["scorer"],
                r["condition"],
                str(r["n"]),
                str(r["passed"]),
                str(r["undecided"]),
                rate(r["pass_rate"]),
                interval(r["ci_low"], r["ci_high"], sign=False),
                mismatch(r),
            ]
            for r in rates
        ],
    )


def _prediction_section(prediction: dict[str, Any]) -> Section:
    uniform = Table(
        ["size", "recipe", "scorer", "lift", "interval", "earlier sizes", "band", "status"],
        [
            [
                c["size"],
                c["recipe"],
                c["scorer"],
                signed(c["lift"]),
                interval(c["ci_low"], c["ci_high"]),
                f"{', '.join(c['earlier_sizes'])}: mean {signed(c['earlier_mean'])}",
                interval(c["band_low"], c["band_high"]),
                c["status"],
            ]
            for c in prediction["uniform"]
        ],
        "Uniform lift: a new size's lift interval inside the band of the earlier sizes' mean.",
    )
    ordering = Table(
        ["recipe", "scorer", "lowest Δ(pre)", "largest lift", "vs size", "lift difference"]
        + ["interval", "status"],
        [
            [
                c["recipe"],
                c["scorer"],
                f"{c['lowest_pre_size']} ({signed(c['pre_deltas'][c['lowest_pre_size']])})",
                c["largest_lift_size"],
                d["size"],
                signed(d["difference"]),
                interval(d["ci_low"], d["ci_high"]),
                c["status"],
            ]
            for c in prediction["largest_where_pre_lowest"]
            for d in c["differences"]
        ],
        "Largest lift where Δ(pre) is lowest: paired differences over tasks.",
    )
    reason = f": {prediction['reason']}" if prediction.get("reason") else ""
    text = [f"Outcome: {prediction['status']}{reason}."]
    return Section("The paper's prediction", text=text, tables=[uniform, ordering])


def _artifact_tables(artifact: dict[str, Any]) -> list[Table]:
    rates = Table(
        ["configuration", "condition", "extractor", "scorer", "n"]
        + ["extractor pass", "interval", "scorer pass", "interval", "difference"],
        [
            [
                r["configuration"],
                r["condition"],
                r["extractor"],
                r["scorer"],
                str(r["n"]),
                rate(r["extractor_pass_rate"]),
                interval(r["extractor_ci_low"], r["extractor_ci_high"], sign=False),
                rate(r["scorer_pass_rate"]),
                interval(r["scorer_ci_low"], r["scorer_ci_high"], sign=False),
                signed(r["difference"]),
            ]
            for r in artifact["pass_rates"]
        ],
        "Pass rate by the extractor and by each other scorer, on episodes both decided.",
    )
    deltas = Table(
        ["configuration", "extractor", "scorer", "tasks", "Δ extractor", "Δ scorer"]
        + ["difference", "interval"],
        [
            [
                d["configuration"],
                d["extractor"],
                d["scorer"],
                str(d["n_tasks"]),
                signed(d["extractor_delta"]),
                signed(d["scorer_delta"]),
                signed(d["difference"]),
                interval(d["ci_low"], d["ci_high"]),
            ]
            for d in artifact["deltas"]
        ],
        "Δ under each scorer on the same tasks; the difference has a paired bootstrap interval.",
    )
    return [rates, deltas]


def _agreement_section(agreement: dict[str, Any] | None) -> Section:
    if not agreement:
        return Section("Judge agreement", text=["No agreement.json: a single scorer."])
    table = Table(
        ["a", "b", "n", "κ", "agreement", "largest Δ shift", "at"],
        [
            [
                p["a"],
                p["b"],
                str(p["n"]),
                rate(p["kappa"]),
                rate(p["agreement"]),
                rate(p["max_abs_delta_shift"]),
                p["max_shift_configuration"] or "—",
            ]
            for p in agreement["pairs"]
        ],
    )
    alpha = agreement.get("krippendorff_alpha")
    text = [] if alpha is None else [f"Krippendorff's α over all scorers: {alpha:.3f}."]
    sentence = agreement_sentence(agreement)
    return Section(
        "Judge agreement", items=[sentence] if sentence else [], text=text, tables=[table]
    )


def _path_tables(summary: dict[str, Any]) -> list[Table]:
    """Return the paths by configuration (the fields that vary between paths as columns) and
    the comparisons Δ, lift and the trajectory rest on."""
    paths = summary["paths"]
    keys = sorted({k for path in paths.values() for k in path})
    varying = [k for k in keys if len({json.dumps(p.get(k)) for p in paths.values()}) > 1]
    shared = [
        f"{k} = {_short(next(iter(paths.values())).get(k))}" for k in keys if k not in varying
    ]
    configurations = Table(
        ["configuration", "path fingerprint", *varying, "its paths differ in"],
        [
            [name, fingerprint[:12], *(_short(paths[fingerprint].get(k)) for k in varying)]
            + [mismatch(info)]
            for name, info in summary["configurations"].items()
            for fingerprint in info["path_fingerprints"]
        ],
        "Fields that vary between paths; shared by all: " + ("; ".join(shared) or "none") + ".",
    )
    comparisons = Table(
        ["a", "b", "relation", "differing fields", "mismatch"],
        [
            [
                c["a"],
                c["b"],
                c["relation"],
                ", ".join(c["differing_fields"]) or "none",
                mismatch(c),
            ]
            for c in summary["path_comparisons"]
            if c["relation"] != "other"
        ],
        "Only adapter_sha256 may differ between a size's pre and post paths; pre paths across "
        "sizes are shown for the trajectory. Every other pair is in summary.json.",
    )
    return [configurations, comparisons]


def _short(value: Any) -> str:
    """Return a path value for a table cell: hashes cut to 12 characters (full in the JSON)."""
    text = str(value)
    return text[:12] + "…" if len(text) > 16 else text


def _settings_table(summary: dict[str, Any]) -> Table:
    facts = {
        **summary.get("run", {}),
        **{f"analysis.{k}": v for k, v in summary["settings"].items()},
    }
    return Table(
        ["", ""],
        [[k, v if isinstance(v, str) else json.dumps(v)] for k, v in facts.items()],
    )


def to_markdown(summary: dict[str, Any]) -> str:
    """Return `report.md`: the sections as Markdown, plots linked by relative path."""
    lines = [f"# procsft analysis {summary.get('run', {}).get('run_id', '')}".rstrip(), ""]
    for section in sections(summary):
        lines += [f"## {section.title}", ""]
        lines += [f"- {item}" for item in section.items] + ([""] if section.items else [])
        for paragraph in section.text:
            lines += [paragraph, ""]
        for figure in section.figures:
            lines += [f"![{Path(figure).stem}]({figure})", ""]
        for table in section.tables:
            lines += _markdown_table(table)
    return "\n".join(lines)


def _markdown_table(table: Table) -> list[str]:
    def cells(values: Iterable[str]) -> str:
        return "| " + " | ".join(v.replace("|", "\\|") for v in values) + " |"

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


STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: left; }
td { font-variant-numeric: tabular-nums; }
caption { caption-side: top; text-align: left; color: #555; padding-bottom: 0.3em; }
img { max-width: 100%; }
li { margin-bottom: 0.3em; }
"""


def to_html(summary: dict[str, Any], folder: Path) -> str:
    """Return `report.html`: one page, plots embedded as base64 PNG, no external assets."""
    e = html.escape
    title = f"procsft analysis {summary.get('run', {}).get('run_id', '')}".rstrip()
    body = [f"<h1>{e(title)}</h1>"]
    for section in sections(summary):
        body.append(f"<h2>{e(section.title)}</h2>")
        if section.items:
            body.append("<ul>" + "".join(f"<li>{e(i)}</li>" for i in section.items) + "</ul>")
        body += [f"<p>{e(p)}</p>" for p in section.text]
        for figure in section.figures:
            data = base64.b64encode((folder / figure).read_bytes()).decode()
            body.append(
                f'<figure><img alt="{e(Path(figure).stem)}" src="data:image/png;base64,{data}">'
                f"<figcaption>{e(Path(figure).stem)}</figcaption></figure>"
            )
        for table in section.tables:
            if not table.rows:
                body.append(f"<p>{e(table.caption)} None.</p>")
                continue
            head = "".join(f"<th>{e(c)}</th>" for c in table.columns)
            rows = "".join(
                "<tr>" + "".join(f"<td>{e(v)}</td>" for v in row) + "</tr>" for row in table.rows
            )
            caption = f"<caption>{e(table.caption)}</caption>" if table.caption else ""
            body.append(
                f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
            )
    return (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{e(title)}</title>'
        f"<style>{STYLE}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def headline_table(summary: dict[str, Any], console: Console) -> None:
    """Print the headline numbers (Δ per configuration, lift per size) and the prediction."""
    table = RichTable(
        title=f"Procedural Δ and SFT lift ({summary['settings']['confidence']:.0%} intervals)"
    )
    for column in ("", "configuration / size", "scorer", "n", "value", "interval", "note"):
        table.add_column(column, justify="right" if column in ("n", "value") else "left")
    for d in summary["procedural_delta"]:
        note = f"McNemar p = {d['mcnemar_p']:.3g}"
        table.add_row(
            "Δ",
            d["configuration"],
            d["scorer"],
            str(d["n_tasks"]),
            signed(d["delta"]),
            interval(d["ci_low"], d["ci_high"]),
            _note(note, d),
        )
    for lift in summary["lift"]:
        table.add_row(
            "lift",
            f"{lift['size']} ({lift['recipe']})",
            lift["scorer"],
            str(lift["n_tasks"]),
            signed(lift["lift"]),
            interval(lift["ci_low"], lift["ci_high"]),
            _note(f"{lift['n_seeds']} seed(s)", lift),
            style="bold",
        )
    console.print(table)
    console.print(f"prediction: {summary['prediction']['status']}", highlight=False)


def _note(note: str, row: dict[str, Any]) -> str:
    fields = mismatch(row)
    return f"{note}; path mismatch: {fields}" if fields else note
