"""SFT-attributable lift: Δ(post) − Δ(pre) per size × recipe × scorer, paired by task, with
per-training-seed values and an interval over tasks (or skills) and seeds."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import partial

import numpy as np
import pandas as pd

from procsft.analysis.bootstrap import mean_interval, stream


@dataclass(frozen=True)
class SeedLift:
    configuration: str
    train_seed: int
    lift: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class Lift:
    student: str
    size: str
    recipe: str
    scorer: str
    pre_configuration: str
    n_tasks: int
    """Tasks decided under both conditions in pre and in every post configuration."""
    lift: float
    """Mean of the per-seed lifts (over the same tasks)."""
    ci_low: float
    ci_high: float
    seed_std: float | None
    """Sample standard deviation of the per-seed lifts; None with one seed."""
    seeds: tuple[SeedLift, ...]
    resamples: int
    confidence: float
    ci_method: str

    @property
    def n_seeds(self) -> int:
        return len(self.seeds)

    @property
    def post_configurations(self) -> list[str]:
        return [s.configuration for s in self.seeds]

    def as_dict(self) -> dict:
        return asdict(self) | {
            "seeds": [asdict(s) for s in self.seeds],
            "n_seeds": self.n_seeds,
            "post_configurations": self.post_configurations,
        }


def configuration_table(verdicts: pd.DataFrame) -> pd.DataFrame:
    """Return student, size, stage, recipe and train seed per configuration (its index)."""
    columns = ["student", "size", "stage", "recipe", "train_seed"]
    return verdicts.groupby("configuration")[columns].first()


def lifts(
    outcomes: pd.DataFrame,
    configurations: pd.DataFrame,
    *,
    resamples: int,
    confidence: float,
    seed: int,
    cluster_by_skill: bool = False,
) -> tuple[list[Lift], pd.DataFrame]:
    """Return the lifts and the per-task lifts behind them (averaged over training seeds).

    `outcomes` is `rates.task_outcomes`. A lift pairs each task's Δ under post with its Δ under
    pre of the same student and scorer, over the tasks all of them decided. With several
    training seeds the interval resamples seeds and tasks independently.
    """
    diffs = (outcomes["curated"] - outcomes["baseline"]).unstack("task_id")
    skills = outcomes["skill_id"].groupby(level="task_id").first().reindex(diffs.columns)
    scorers = sorted(diffs.index.get_level_values("scorer").unique())
    found, per_task = [], []
    for pre, posts in _treatments(configurations):
        for scorer in scorers:
            names = [c for c in posts.index if (c, scorer) in diffs.index]
            if (pre, scorer) not in diffs.index or not names:
                continue
            post = diffs.loc[[(c, scorer) for c in names]].to_numpy()
            before = diffs.loc[(pre, scorer)].to_numpy()
            common = ~np.isnan(post).any(axis=0) & ~np.isnan(before)
            if not common.any():
                continue
            table = post[:, common] - before[common]
            interval = partial(
                _interval,
                clusters=skills.to_numpy()[common] if cluster_by_skill else None,
                resamples=resamples,
                confidence=confidence,
                seed=seed,
                scorer=scorer,
            )
            seeds = tuple(
                SeedLift(
                    name,
                    int(posts.loc[name, "train_seed"]),
                    float(row.mean()),
                    *interval(row, name),
                )
                for name, row in zip(names, table, strict=True)
            )
            several = len(seeds) > 1
            first = posts.loc[names[0]]
            unit = "skills" if cluster_by_skill else "tasks"
            found.append(
                Lift(
                    first["student"],
                    first["size"],
                    first["recipe"],
                    scorer,
                    pre,
                    int(common.sum()),
                    float(table.mean()),
                    *(
                        interval(table, f"{pre}|{first['recipe']}")
                        if several
                        else (seeds[0].ci_low, seeds[0].ci_high)
                    ),
                    float(np.std([s.lift for s in seeds], ddof=1)) if several else None,
                    seeds,
                    resamples,
                    confidence,
                    f"paired bootstrap over {unit}" + (" and training seeds" if several else ""),
                )
            )
            per_task.append(
                pd.DataFrame(
                    {
                        "student": first["student"],
                        "recipe": first["recipe"],
                        "scorer": scorer,
                        "task_id": diffs.columns[common],
                        "skill_id": skills.to_numpy()[common],
                        "lift": table.mean(axis=0),
                    }
                )
            )
    if not per_task:
        return found, pd.DataFrame(
            columns=["student", "recipe", "scorer", "task_id", "skill_id", "lift"]
        )
    return found, pd.concat(per_task, ignore_index=True)


def _treatments(configurations: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """Return (pre configuration, its post configurations by training seed) per student × recipe."""
    pres = configurations[configurations["stage"] == "pre"]
    pre_of = dict(zip(pres["student"], pres.index, strict=True))
    posts = configurations[configurations["stage"] == "post"]
    return [
        (pre_of[student], group.sort_values("train_seed"))
        for (student, _), group in posts.groupby(["student", "recipe"])
        if student in pre_of
    ]


def _interval(
    values: np.ndarray,
    key: str,
    *,
    clusters: np.ndarray | None,
    resamples: int,
    confidence: float,
    seed: int,
    scorer: str,
) -> tuple[float, float]:
    rng = stream(seed, f"lift|{key}|{scorer}")
    return mean_interval(
        values, clusters=clusters, resamples=resamples, confidence=confidence, rng=rng
    )
