"""`episodes.html`: every episode of a run with its prompt, reasoning trace, response and every
scorer's verdict, in one self-contained page (data, script and style inline; no network, no
server), so it opens from a file:// URL and as a KFP HTML artifact.

The page filters by configuration, condition, skill, task, scorer and verdict, holds its
filter state in the URL fragment (`links` writes those fragments for the report's numbers),
shows one task's episodes side by side, and recomputes n, passes, Δ and lift from the rows it
shows. It renders one page of episodes at a time, so a paper-sized run (2 800 episodes × 4
scorers) stays quick. Rows are stored column-light: prompts and reasons, which repeat across
configurations and verdicts, are stored once and referred to by index.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Sequence
from importlib import resources
from typing import Any

from procsft.schema import Episode, Verdict

CONDITIONS = ("baseline", "curated")
PAGE_SIZE = 20
"""Episodes rendered at once; the rest wait behind the page buttons."""


class _Interned:
    """Strings (or JSON-able values) stored once, referred to by their index."""

    def __init__(self) -> None:
        self.values: list[Any] = []
        self._index: dict[str, int] = {}

    def __call__(self, value: Any) -> int:
        key = json.dumps(value, sort_keys=True, ensure_ascii=False)
        if key not in self._index:
            self._index[key] = len(self.values)
            self.values.append(value)
        return self._index[key]


def payload(
    summary: dict[str, Any], verdicts: Sequence[Verdict], episodes: Iterable[Episode]
) -> dict[str, Any]:
    """Return the page's data: configurations in the report's order, scorers most trusted
    first, one row per episode and one per verdict (an episode without its row in
    `episodes.jsonl` still appears, from its verdicts' keys, without text)."""
    from procsft.analysis.lead import scorer_order

    rank = {name: i for i, name in enumerate(summary.get("configurations", {}))}
    text_of = {e.episode_id: e for e in episodes}
    first: dict[str, Verdict] = {}
    for v in verdicts:
        first.setdefault(v.episode_id, v)
    keys: dict[str, Episode | Verdict] = {**first, **text_of}
    configurations = sorted(
        {k.configuration for k in keys.values()}, key=lambda c: (rank.get(c, len(rank)), c)
    )
    config_of = {c: i for i, c in enumerate(configurations)}
    meta = {k.configuration: k for k in keys.values()}
    scorers = [s for s in scorer_order(summary) if any(v.scorer == s for v in verdicts)]
    scorers += sorted({v.scorer for v in verdicts} - set(scorers))
    scorer_of = {s: i for i, s in enumerate(scorers)}
    skills = sorted({k.skill_id for k in keys.values()})
    tasks = sorted({(k.task_id, k.skill_id) for k in keys.values()})
    task_of = {t: i for i, (t, _) in enumerate(tasks)}
    prompts, reasons = _Interned(), _Interned()
    ordered = sorted(
        keys.values(),
        key=lambda k: (config_of[k.configuration], k.task_id, k.condition, k.seed),
    )
    episode_of = {}
    rows = []
    for k in ordered:
        episode_of[k.episode_id] = len(rows)
        text = text_of.get(k.episode_id)
        rows.append(
            [
                config_of[k.configuration],
                task_of[k.task_id],
                CONDITIONS.index(k.condition),
                k.seed,
                prompts(text.messages) if text else None,
                text.response if text else None,
                getattr(text, "reasoning", None) if text else None,
                text.finish_reason if text else None,
                text.prompt_tokens if text else None,
                text.completion_tokens if text else None,
                k.episode_id,
            ]
        )
    verdict_rows = [
        [
            episode_of[v.episode_id],
            scorer_of[v.scorer],
            None if v.passed is None else int(v.passed),
            int(v.format_ok),
            v.extracted,
            reasons(v.reason),
            v.judge_output,
        ]
        for v in sorted(verdicts, key=lambda v: (episode_of[v.episode_id], scorer_of[v.scorer]))
    ]
    return {
        "run": {k: summary.get("run", {}).get(k) for k in ("run_id", "study")},
        "configurations": [
            {
                "name": c,
                "student": meta[c].student,
                "size": meta[c].size,
                "stage": meta[c].stage,
                "recipe": meta[c].recipe,
                "train_seed": meta[c].train_seed,
            }
            for c in configurations
        ],
        "conditions": list(CONDITIONS),
        "scorers": scorers,
        "skills": skills,
        "tasks": [[t, skills.index(s)] for t, s in tasks],
        "prompts": prompts.values,
        "reasons": reasons.values,
        "episodes": rows,
        "verdicts": verdict_rows,
        "page_size": PAGE_SIZE,
    }


def _asset(name: str) -> str:
    return resources.files("procsft.analysis").joinpath("assets", name).read_text("utf-8")


def _inline_json(data: dict[str, Any]) -> str:
    """Return JSON safe inside a <script> element: `</` and `<!--` cannot close or open one."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("</", "<\\/").replace("<!--", "<\\u0021--")


def to_html(
    summary: dict[str, Any], verdicts: Sequence[Verdict], episodes: Iterable[Episode]
) -> str:
    """Return `episodes.html` for a run's verdicts and episodes."""
    title = f"procsft episodes {summary.get('run', {}).get('run_id', '')}".rstrip()
    data = _inline_json(payload(summary, verdicts, episodes))
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_asset('episodes.css')}</style></head>"
        f'<body><h1>{html.escape(title)}</h1><div id="app">Loading…</div>\n'
        f'<script type="application/json" id="data">{data}</script>'
        f"\n<script>{_asset('episodes.js')}</script></body></html>\n"
    )
