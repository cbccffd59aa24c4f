"""Plots from the summary: Δ(pre), Δ(post) and lift across sizes (ordered by parameters) with
reference models as horizontal lines, and a skills × sizes heatmap of lift; PNG and SVG."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure

# Figure objects render through Agg without pyplot, so no global backend or GUI state is touched.
FORMATS = ("png", "svg")
MISMATCH_COLOR = "#c0392b"


def plot_trajectory(summary: dict[str, Any], folder: Path) -> list[Path]:
    """Return the files written: one trajectory figure per recipe, a panel per scorer."""
    deltas, lifts, sizes = summary["procedural_delta"], summary["lift"], summary["sizes"]
    scorers = sorted({d["scorer"] for d in deltas})
    if not scorers or not sizes:
        return []
    written = []
    for recipe in sorted({lift["recipe"] for lift in lifts}) or [None]:
        fig = Figure(figsize=(1.2 + 3.4 * len(scorers), 3.8), layout="constrained")
        axes = fig.subplots(1, len(scorers), sharey=True, squeeze=False)[0]
        for ax, scorer in zip(axes, scorers, strict=True):
            _trajectory_panel(ax, summary, recipe, scorer)
        axes[0].set_ylabel("difference in pass rate")
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=max(len(labels), 1))
        title = "Procedural Δ and SFT lift across sizes"
        fig.suptitle(f"{title} ({recipe})" if recipe else title)
        written += _save(fig, folder, f"trajectory-{recipe}" if recipe else "trajectory")
    return written


def _trajectory_panel(ax: Axes, summary: dict[str, Any], recipe: str | None, scorer: str) -> None:
    sizes = summary["sizes"]
    x = np.arange(len(sizes))
    deltas = [d for d in summary["procedural_delta"] if d["scorer"] == scorer]
    pre = {d["student"]: d for d in deltas if d["stage"] == "pre"}
    _series(ax, x - 0.15, [pre.get(s["student"]) for s in sizes], "delta", "Δ(pre)", "o", "C0")
    posts = [d for d in deltas if d["stage"] == "post" and d["recipe"] == recipe]
    for i, seed in enumerate(sorted({d["train_seed"] for d in posts})):
        by_student = {d["student"]: d for d in posts if d["train_seed"] == seed}
        rows = [by_student.get(s["student"]) for s in sizes]
        label = "Δ(post)" if i == 0 else None
        _series(ax, x + 0.04 * i - 0.02, rows, "delta", label, "s", color="C1")
    lifts = {
        lift["student"]: lift
        for lift in summary["lift"]
        if lift["recipe"] == recipe and lift["scorer"] == scorer
    }
    _series(ax, x + 0.15, [lifts.get(s["student"]) for s in sizes], "lift", "SFT lift", "^", "C2")
    for i, d in enumerate(d for d in deltas if d["stage"] == "reference"):
        color = f"C{4 + i}"
        ax.axhline(d["delta"], linestyle=":", color=color, linewidth=1.2)
        ax.annotate(
            f"{d['student']} {d['delta']:+.3f}",
            xy=(0, d["delta"]),
            xycoords=("axes fraction", "data"),
            xytext=(2, 2),
            textcoords="offset points",
            ha="left",
            fontsize=8,
            color=color,
        )
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.set_xticks(x, [s["size"] + (" (new)" if s.get("new") else "") for s in sizes])
    ax.set_xlim(-0.5, len(sizes) - 0.5)
    ax.set_title(scorer)


def _series(
    ax: Axes,
    x: np.ndarray,
    rows: list[dict[str, Any] | None],
    key: str,
    label: str | None,
    marker: str,
    color: str,
) -> None:
    """Draw one series with its interval bars; a point whose number has a path mismatch is
    drawn hollow and labelled with the differing fields."""
    values = np.array([np.nan if r is None else r[key] for r in rows], dtype=float)
    low = np.array([np.nan if r is None else r["ci_low"] for r in rows], dtype=float)
    high = np.array([np.nan if r is None else r["ci_high"] for r in rows], dtype=float)
    if np.isnan(values).all():
        return
    ax.errorbar(
        x,
        values,
        yerr=[values - low, high - values],
        fmt=marker,
        capsize=3,
        label=label,
        color=color,
    )
    for xi, row in zip(x, rows, strict=True):
        if row and row.get("path_mismatch"):
            ax.plot(xi, row[key], marker, markersize=11, mfc="none", color=MISMATCH_COLOR)
            ax.annotate(
                "≠ path: " + ", ".join(row["path_mismatch"]),
                xy=(xi, row[key]),
                xytext=(4, -10),
                textcoords="offset points",
                fontsize=7,
                color=MISMATCH_COLOR,
            )


LABELLED_SKILLS = 120
"""Most skills the skill-lift heatmap names row by row (the built-in suite has 40). Beyond it
the figure keeps this height and drops the row labels: a row per skill would make a figure
tens of thousands of pixels tall that takes minutes to encode and no one can read."""


def plot_skill_lift(summary: dict[str, Any], folder: Path) -> list[Path]:
    """Return the files written: per recipe, a skills × sizes heatmap of lift per scorer."""
    rows = summary["skill_lift"]
    sizes = [s for s in summary["sizes"] if any(r["student"] == s["student"] for r in rows)]
    written = []
    for recipe in sorted({r["recipe"] for r in rows}):
        mine = [r for r in rows if r["recipe"] == recipe]
        scorers = sorted({r["scorer"] for r in mine})
        skills = sorted({r["skill_id"] for r in mine})
        row = {skill: i for i, skill in enumerate(skills)}
        labelled = len(skills) <= LABELLED_SKILLS
        fig = Figure(
            figsize=(
                1.8 + (1.4 + 0.7 * len(sizes)) * len(scorers),
                1.6 + 0.17 * min(len(skills), LABELLED_SKILLS),
            ),
            layout="constrained",
        )
        axes = fig.subplots(1, len(scorers), sharey=True, squeeze=False)[0]
        limit = max((abs(r["lift"]) for r in mine), default=0.0) or 0.1
        column = {s["student"]: j for j, s in enumerate(sizes)}
        for ax, scorer in zip(axes, scorers, strict=True):
            grid = np.full((len(skills), len(sizes)), np.nan)
            for r in mine:
                if r["scorer"] == scorer:
                    grid[row[r["skill_id"]], column[r["student"]]] = r["lift"]
            image = ax.imshow(
                grid, cmap="RdBu", norm=TwoSlopeNorm(0.0, -limit, limit), aspect="auto"
            )
            ax.set_xticks(range(len(sizes)), [s["size"] for s in sizes])
            if labelled:
                ax.set_yticks(range(len(skills)), skills, fontsize=7)
            else:  # still one row per skill, too many to name: summary.json has each number
                ax.set_yticks([])
                ax.set_ylabel(f"{len(skills)} skills, in name order (summary.json: skill_lift)")
            ax.set_title(scorer)
        fig.colorbar(image, ax=list(axes), label="SFT lift (mean over the skill's tasks)")
        fig.suptitle(f"SFT lift per skill ({recipe})")
        written += _save(fig, folder, f"skill-lift-{recipe}")
    return written


def _save(fig: Figure, folder: Path, stem: str) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{stem}.{fmt}" for fmt in FORMATS]
    for path in paths:
        fig.savefig(path, dpi=110)
    return paths
