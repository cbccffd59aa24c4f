import numpy as np
import pandas as pd

from procsft.analysis.bootstrap import mean_interval, stream
from procsft.analysis.rates import COLUMNS, procedural_deltas

SETTINGS = {"resamples": 400, "confidence": 0.95}


def test_same_seed_and_key_give_the_same_interval_and_keys_are_independent():
    values = np.random.default_rng(0).normal(size=50)
    first = mean_interval(values, rng=stream(7, "m/pre|judge"), **SETTINGS)
    assert first == mean_interval(values, rng=stream(7, "m/pre|judge"), **SETTINGS)
    assert first != mean_interval(values, rng=stream(8, "m/pre|judge"), **SETTINGS)
    assert first != mean_interval(values, rng=stream(7, "m/pre|extractor"), **SETTINGS)


def test_constant_values_give_a_point_interval_under_every_design():
    values = np.full((3, 10), 0.25)
    clusters = np.repeat(np.arange(5), 2)
    rng = np.random.default_rng(0)
    assert mean_interval(values[0], rng=rng, **SETTINGS) == (0.25, 0.25)
    assert mean_interval(values, clusters=clusters, rng=rng, **SETTINGS) == (0.25, 0.25)


def _coverage(draw, truth: float, **kwargs) -> float:
    """Return the share of 200 simulated 95 % intervals that cover `truth`."""
    rng = np.random.default_rng(1)
    hits = 0
    for _ in range(200):
        low, high = mean_interval(draw(rng), rng=rng, **SETTINGS, **kwargs)
        hits += low <= truth <= high
    return hits / 200


def test_task_bootstrap_covers_a_known_paired_difference():
    # 100 tasks; baseline passes with p = 0.5, curated with p = 0.6: Δ = 0.1.
    def draw(rng):
        return (rng.random(100) < 0.6).astype(float) - (rng.random(100) < 0.5)

    assert _coverage(draw, 0.1) >= 0.9


def test_skill_bootstrap_covers_when_tasks_of_a_skill_move_together():
    # 40 skills × 5 tasks; each skill shifts all its tasks by a shared effect (sd 0.3).
    clusters = np.repeat(np.arange(40), 5)

    def draw(rng):
        return 0.1 + rng.normal(0, 0.3, 40)[clusters] + rng.normal(0, 0.3, 200)

    assert _coverage(draw, 0.1, clusters=clusters) >= 0.9
    assert _coverage(draw, 0.1) < 0.9  # resampling single tasks understates the spread


def test_seed_and_task_bootstrap_covers_a_known_lift():
    # 3 training seeds × 200 tasks: lift 0.05, a per-seed shift (sd 0.01), per-task noise.
    def draw(rng):
        return 0.05 + rng.normal(0, 0.01, (3, 1)) + rng.normal(0, 0.6, (3, 200))

    assert _coverage(draw, 0.05) >= 0.9


def test_procedural_delta_intervals_cover_a_known_effect():
    # The whole Δ path (table → per-task pairs → bootstrap): 200 simulated configurations of
    # 60 tasks, baseline p = 0.5, curated p = 0.7, so Δ = 0.2.
    rng = np.random.default_rng(2)
    sims, tasks = 200, 60
    shape = (sims, tasks, 2)
    condition = np.broadcast_to(np.array(["baseline", "curated"]), shape)
    frame = pd.DataFrame({c: "x" for c in COLUMNS}, index=range(sims * tasks * 2)).assign(
        configuration=np.broadcast_to(np.arange(sims)[:, None, None], shape).ravel().astype(str),
        task_id=np.broadcast_to(np.arange(tasks)[None, :, None], shape).ravel().astype(str),
        condition=condition.ravel(),
        seed=0,
        passed=(rng.random(shape) < np.where(condition == "curated", 0.7, 0.5)).ravel() * 1.0,
    )
    deltas = procedural_deltas(frame, resamples=400)
    assert len(deltas) == sims
    assert np.mean([d.ci_low <= 0.2 <= d.ci_high for d in deltas]) >= 0.9
