"""Vectorised percentile bootstrap of a mean over tasks, whole skills, and training seeds.

scipy's `bootstrap` resamples one axis; lift with several training seeds must resample seeds
and tasks independently (a crossed design), so every interval here comes from one numpy helper
and all of them are computed the same way.
"""

from __future__ import annotations

import zlib

import numpy as np


def stream(seed: int, key: str) -> np.random.Generator:
    """Return the random generator of one reported number.

    Seeded by the analysis seed and the number's key, so adding a configuration or a scorer
    leaves every other interval unchanged.
    """
    return np.random.default_rng([seed, zlib.crc32(key.encode())])


def mean_interval(
    values: np.ndarray,
    *,
    clusters: np.ndarray | None = None,
    resamples: int,
    confidence: float,
    rng: np.random.Generator,
) -> tuple[float, float]:
    """Return the percentile bootstrap interval (low, high) of the mean of `values`.

    `values` has one entry per task, or one row per training seed and one column per task. Tasks
    are drawn with replacement; with `clusters` (one label per task, e.g. its skill) whole
    clusters are drawn with all their tasks, because tasks of one skill are not independent.
    Rows (seeds) are drawn independently of the tasks.
    """
    values = np.asarray(values, dtype=float)
    matrix = np.atleast_2d(values)
    if clusters is None:
        sums, counts = matrix, np.ones(matrix.shape[1])
    else:
        _, codes = np.unique(np.asarray(clusters), return_inverse=True)
        counts = np.bincount(codes).astype(float)
        sums = np.stack([np.bincount(codes, weights=row) for row in matrix])
    units = rng.integers(0, len(counts), size=(resamples, len(counts)))
    if values.ndim == 1:
        n_seeds, drawn = 1, sums[0][units].sum(axis=1)
    else:
        n_seeds = matrix.shape[0]
        seeds = rng.integers(0, n_seeds, size=(resamples, n_seeds))
        drawn = sums[seeds[:, :, None], units[:, None, :]].sum(axis=(1, 2))
    # A ratio of sums, not a mean of means: skills of unequal size weigh by their tasks.
    means = drawn / (n_seeds * counts[units].sum(axis=1))
    tail = (1 - confidence) / 2
    low, high = np.quantile(means, [tail, 1 - tail])
    return float(low), float(high)
