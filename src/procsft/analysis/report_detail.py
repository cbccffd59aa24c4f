"""The detail of a report, after its lead: lift, Δ and pass-rate tables whose numbers link to
their episodes, the prediction, the scoring artifact, judge agreement, per-skill lift, inference
paths and the run's settings."""

from __future__ import annotations

import json
from typing import Any

from procsft.analysis.check_marks import marked
from procsft.analysis.findings import agreement_sentence, interval, mismatch, rate, signed
from procsft.analysis.lead import scorer_order
from procsft.analysis.links import delta_link, episodes_link, lift_link, pass_rate_link
from procsft.analysis.report_parts import Cell, Section, Table


def linked(value: float | None, href: str | None = None, row: dict[str, Any] | None = None) -> Cell:
    """Return a signed number that opens `href`, marked when a failed judge check affects
    `row` (the summary row the number belongs to)."""
    return Cell(marked(signed(value), row), href)


def lift_tables(lifts: list[dict[str, Any]]) -> list[Table]:
    main = Table(
        ["size", "recipe", "scorer", "tasks", "seeds", "lift", "interval", "seed sd", "mismatch"],
        [
            [
                lift["size"],
                lift["recipe"],
                lift["scorer"],
                str(lift["n_tasks"]),
                str(lift["n_seeds"]),
                linked(lift["lift"], lift_link(lift), lift),
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
                linked(s["lift"], lift_link(lift, post=[s["configuration"]]), lift),
                interval(s["ci_low"], s["ci_high"]),
            ]
            for lift in lifts
            for s in lift["seeds"]
        ],
        "Per training seed.",
    )
    return [main, seeds]


def delta_table(deltas: list[dict[str, Any]]) -> Table:
    columns = ["configuration", "scorer", "tasks", "baseline", "curated", "Δ", "interval"]
    return Table(
        [*columns, "base only", "curated only", "McNemar p", "mismatch"],
        [
            [
                d["configuration"],
                d["scorer"],
                str(d["n_tasks"]),
                Cell(rate(d["baseline"]), delta_link(d)),
                Cell(rate(d["curated"]), delta_link(d)),
                linked(d["delta"], delta_link(d), d),
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


def rate_table(rates: list[dict[str, Any]]) -> Table:
    columns = ["configuration", "scorer", "condition", "n", "passed", "undecided"]
    return Table(
        [*columns, "pass rate", "interval", "mismatch"],
        [
            [
                r["configuration"],
                r["scorer"],
                r["condition"],
                Cell(str(r["n"]), pass_rate_link(r)),
                Cell(str(r["passed"]), pass_rate_link(r)),
                Cell(_undecided(r), _undecided_link(r)) if r["undecided"] else "0",
                Cell(marked(rate(r["pass_rate"]), r), pass_rate_link(r)),
                interval(r["ci_low"], r["ci_high"], sign=False),
                mismatch(r),
            ]
            for r in rates
        ],
    )


def _undecided(row: dict[str, Any]) -> str:
    """Return the undecided count, with how many of them were cut off inside a trace."""
    cut = row.get("cut_off") or 0  # older summaries have no count
    return f"{row['undecided']} ({cut} cut off)" if cut else str(row["undecided"])


def _undecided_link(row: dict[str, Any]) -> str:
    return episodes_link(
        configuration=row["configuration"],
        condition=row["condition"],
        scorer=row["scorer"],
        verdict="undecided",
    )


def artifact_tables(artifact: dict[str, Any]) -> list[Table]:
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


def agreement_section(agreement: dict[str, Any] | None) -> Section:
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


def skill_section(summary: dict[str, Any], figures: list[str]) -> Section:
    """Return the per-skill lift under the most trusted scorer, one column per size × recipe,
    each cell opening that skill's pre and post episodes."""
    cells = summary.get("skill_lift") or []
    scorers = [s for s in scorer_order(summary) if any(c["scorer"] == s for c in cells)]
    if not scorers:
        return Section("SFT lift per skill", figures=figures)
    top = scorers[0]
    lifts = {(r["student"], r["recipe"]): r for r in summary["lift"] if r["scorer"] == top}
    keys = list(lifts)
    value = {(c["student"], c["recipe"], c["skill_id"]): c for c in cells if c["scorer"] == top}
    skills = sorted({c["skill_id"] for c in cells if c["scorer"] == top})
    rows: list[list[str | Cell]] = []
    for skill in skills:
        row: list[str | Cell] = [skill]
        for key in keys:
            c = value.get((*key, skill))
            row.append(
                Cell(f"{signed(c['lift'])} ({c['n_tasks']})", lift_link(lifts[key], skill=skill))
                if c
                else "—"
            )
        rows.append(row)
    several = len({r for _, r in keys}) > 1
    columns = ["skill"] + [lifts[k]["size"] + (f" {k[1]}" if several else "") for k in keys]
    caption = f"Mean lift over the skill's tasks (tasks in brackets), under {top}."
    return Section("SFT lift per skill", figures=figures, tables=[Table(columns, rows, caption)])


def path_tables(summary: dict[str, Any]) -> list[Table]:
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
        "Only the adapter (adapter_sha256, adapter_merged) may differ between a size's pre and "
        "post paths; pre paths across "
        "sizes are shown for the trajectory. Every other pair is in summary.json.",
    )
    return [configurations, comparisons]


def _short(value: Any) -> str:
    """Return a path value for a table cell: hashes cut to 12 characters (full in the JSON)."""
    text = str(value)
    return text[:12] + "…" if len(text) > 16 else text


def settings_table(summary: dict[str, Any]) -> Table:
    facts = {
        **summary.get("run", {}),
        **{f"analysis.{k}": v for k, v in summary["settings"].items()},
    }
    return Table(
        ["", ""],
        [[k, v if isinstance(v, str) else json.dumps(v)] for k, v in facts.items()],
    )


def prediction_section(prediction: dict[str, Any]) -> Section:
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
