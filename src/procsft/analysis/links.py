"""Links from a report's numbers to the episodes behind them.

A link is `episodes.html#<filters>`: the episode browser reads its whole filter state from the
URL fragment, so a pass rate, Δ or lift opens the page on exactly the verdict rows it counts,
from a file:// URL with no server. `paired=1` keeps the tasks that every configuration shown
(or every one `pair` names) decided under both conditions: the tasks a Δ or lift counts. Keys
repeat for several values (`configuration=a&configuration=b`), which keeps any character a
configuration name may hold.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

EPISODES_PAGE = "episodes.html"

FILTER_KEYS = (
    "configuration",
    "condition",
    "skill",
    "task",
    "scorer",
    "verdict",
    "paired",
    "pair",
    "view",
    "page",
)
"""Every key of the browser's fragment, in the order links write them."""

DECIDED = ("pass", "fail")
"""The verdict filter of every number: undecided verdicts are counted apart, never in n."""


def fragment(**filters: str | int | Iterable[str] | None) -> str:
    """Return the URL fragment (without `#`) for the filters; None and empty values are left out."""
    unknown = set(filters) - set(FILTER_KEYS)
    if unknown:
        raise ValueError(f"unknown episode filter(s): {', '.join(sorted(unknown))}")
    pairs: list[tuple[str, str]] = []
    for key in FILTER_KEYS:
        value = filters.get(key)
        if value is None:
            continue
        values = [value] if isinstance(value, str | int) else list(value)
        pairs += [(key, str(v)) for v in values]
    return urlencode(pairs, quote_via=quote, safe="/")


def parse_fragment(text: str) -> dict[str, list[str]]:
    """Return the filters of a fragment (with or without `#`), each key's values in order."""
    filters: dict[str, list[str]] = {}
    for key, value in parse_qsl(text.removeprefix("#"), keep_blank_values=False):
        filters.setdefault(key, []).append(value)
    return filters


def episodes_link(page: str = EPISODES_PAGE, **filters: Any) -> str:
    return f"{page}#{fragment(**filters)}"


def pass_rate_link(row: Mapping[str, Any]) -> str:
    """Return the link of a pass-rate row: its configuration, condition and scorer, decided only."""
    return episodes_link(
        configuration=row["configuration"],
        condition=row["condition"],
        scorer=row["scorer"],
        verdict=DECIDED,
    )


def delta_link(row: Mapping[str, Any]) -> str:
    """Return the link of a Δ row: both conditions of its configuration on the paired tasks."""
    return episodes_link(
        configuration=row["configuration"], scorer=row["scorer"], verdict=DECIDED, paired=1
    )


def lift_link(
    row: Mapping[str, Any], post: Iterable[str] | None = None, skill: str | None = None
) -> str:
    """Return the link of a lift row: its pre and post configurations on the tasks all of them
    decided under both conditions (`post` narrows it to some training seeds, `skill` to the
    tasks of one skill)."""
    every = [row["pre_configuration"], *row["post_configurations"]]
    posts = list(row["post_configurations"] if post is None else post)
    shown = [row["pre_configuration"], *posts]
    return episodes_link(
        configuration=shown,
        skill=skill,
        scorer=row["scorer"],
        verdict=DECIDED,
        paired=1,
        # One seed's lift counts the tasks every seed decided, as the lift itself does.
        pair=every if shown != every else None,
    )


def task_link(task_id: str, configurations: Iterable[str] | None = None) -> str:
    """Return the link of one task's side-by-side view (pre/post × baseline/curated)."""
    return episodes_link(view="task", task=task_id, configuration=configurations)
