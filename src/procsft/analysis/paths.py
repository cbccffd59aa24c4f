"""Matched inference paths: Δ and lift compare only episodes whose paths differ in nothing but
the treatment (the adapter: `adapter_sha256`, and `adapter_merged` when it ran merged into the
weights), or they say which fields differ."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import pandas as pd

from procsft.errors import DataError, ExitCode, ProcsftError
from procsft.inference.path import path_differences
from procsft.schema import Episode

TREATMENT = ("adapter_sha256", "adapter_merged")
"""The path fields that may differ between a size's pre and post configurations: the adapter
and how it was applied (`compute.merge_adapter`, allowed only where the merged model gives the
unmerged adapter's greedy text). Between post configurations, and between two
paths of one configuration, they count like any other field."""


class PathMismatchError(ProcsftError):
    """Numbers would compare episodes of different inference paths: names the configurations
    and each differing field."""

    exit_code = ExitCode.PATHS_DIFFER


@dataclass(frozen=True)
class PathCheck:
    """Which fingerprints each configuration used and which path fields break a comparison."""

    fingerprints: dict[str, list[str]]
    """Configuration → its path fingerprints, most verdicts first."""
    comparisons: list[dict[str, Any]]
    """Every pair of paths compared: configurations, fingerprints, relation, differing fields."""
    mismatches: dict[frozenset[str], list[str]] = field(default_factory=dict)
    """{configuration} or {pre, post} → the fields that break that within or pre/post match."""

    def fields(self, *configurations: str) -> list[str]:
        """Return the mismatched fields behind a number built from `configurations`."""
        names = set(configurations)
        return sorted(
            {f for key, fields in self.mismatches.items() if key <= names for f in fields}
        )

    def fingerprint(self, configuration: str) -> str | list[str]:
        """Return the configuration's fingerprint, or all of them when it used several."""
        prints = self.fingerprints[configuration]
        return prints[0] if len(prints) == 1 else prints


def paths_from_episodes(episodes: Iterable[Episode]) -> dict[str, dict[str, Any]]:
    """Return fingerprint → path dict for every path the episodes used."""
    return {e.path_fingerprint: e.path for e in episodes}


def check_paths(
    verdicts: pd.DataFrame,
    paths: Mapping[str, dict[str, Any]],
    *,
    allow_mismatch: bool = False,
) -> PathCheck:
    """Return the path check of the verdict table against `paths` (fingerprint → path dict).

    Within a configuration every verdict must carry one fingerprint; a size's pre and each of
    its post configurations must differ only in `adapter_sha256`. Otherwise PathMismatchError
    names the configurations and fields, unless `allow_mismatch`, which records them so every
    affected number can be marked.
    """
    counts = verdicts.groupby(["configuration", "path_fingerprint"]).size()
    counts = counts.sort_values(ascending=False, kind="stable")
    fingerprints: dict[str, list[str]] = {}
    for configuration, fingerprint in counts.index:
        fingerprints.setdefault(configuration, []).append(fingerprint)
    for configuration, prints in sorted(fingerprints.items()):
        missing = [p for p in prints if p not in paths]
        if missing:
            raise DataError(
                f"{configuration}: no inference path given for fingerprint {missing[0][:12]}"
            )
    stages = verdicts.groupby("configuration")[["student", "stage"]].first()
    comparisons: list[dict[str, Any]] = []
    mismatches: dict[frozenset[str], list[str]] = {}
    names = sorted(fingerprints)
    for a in names:
        for fa, fb in combinations(fingerprints[a], 2):
            fields = path_differences(paths[fa], paths[fb])
            comparisons.append(_comparison(a, a, fa, fb, "same configuration", fields, fields))
            _add(mismatches, frozenset([a]), fields)
    for a, b in combinations(names, 2):
        treated = stages.loc[a, "student"] == stages.loc[b, "student"] and {
            stages.loc[a, "stage"],
            stages.loc[b, "stage"],
        } == {"pre", "post"}
        for fa in fingerprints[a]:
            for fb in fingerprints[b]:
                fields = path_differences(paths[fa], paths[fb])
                bad = [f for f in fields if f not in TREATMENT] if treated else []
                if bad:
                    _add(mismatches, frozenset([a, b]), bad)
                relation = "pre vs post" if treated else _relation(stages.loc[a], stages.loc[b])
                comparisons.append(_comparison(a, b, fa, fb, relation, fields, bad))
    if mismatches and not allow_mismatch:
        raise PathMismatchError(_message(mismatches))
    return PathCheck(fingerprints, comparisons, mismatches)


def _relation(a: pd.Series, b: pd.Series) -> str:
    """Return how two configurations that Δ and lift never pair relate: pre paths of different
    sizes are what the trajectory sets side by side."""
    return "pre across sizes" if a["stage"] == b["stage"] == "pre" else "other"


def _add(mismatches: dict[frozenset[str], list[str]], key: frozenset[str], fields: list[str]):
    mismatches[key] = sorted({*mismatches.get(key, []), *fields})


def _comparison(
    a: str, b: str, fa: str, fb: str, relation: str, fields: list[str], bad: list[str]
) -> dict[str, Any]:
    return {
        "a": a,
        "b": b,
        "a_fingerprint": fa,
        "b_fingerprint": fb,
        "relation": relation,
        "differing_fields": fields,
        "path_mismatch": bad,
    }


def _message(mismatches: dict[frozenset[str], list[str]]) -> str:
    parts = []
    for key, fields in sorted(mismatches.items(), key=lambda item: sorted(item[0])):
        names = sorted(key)
        if len(names) == 1:
            parts.append(
                f"{names[0]} has episodes on several paths differing in {', '.join(fields)}"
            )
        else:
            parts.append(f"{names[0]} vs {names[1]} differ in {', '.join(fields)}")
    return (
        "inference paths do not match (only the adapter may differ between pre and post): "
        + "; ".join(parts)
        + ". Rerun those configurations on one path, or allow path mismatch to compute anyway "
        "with every affected number marked."
    )
