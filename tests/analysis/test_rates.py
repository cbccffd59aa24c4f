import math

from procsft.analysis.rates import pass_rates, procedural_deltas
from procsft.schema import Verdict


def _verdict(task, condition, passed, configuration="m/pre", seed=0):
    return Verdict(
        verdict_id=f"{configuration}|{task}|{condition}|{seed}|x",
        episode_id="e",
        scorer="x",
        configuration=configuration,
        student="m",
        size="1B",
        stage="pre",
        task_id=task,
        skill_id="s",
        condition=condition,
        seed=seed,
        path_fingerprint="f",
        passed=passed,
        format_ok=True,
        extracted=None,
        reason="",
    )


def _wilson(k, n, z=1.959963984540054):
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def test_pass_rate_and_wilson_interval_by_hand():
    verdicts = [_verdict(f"t{i}", "baseline", i < 3) for i in range(10)]
    verdicts.append(_verdict("t10", "baseline", None))
    (rate,) = pass_rates(verdicts)
    assert (rate.n, rate.passed, rate.undecided, rate.pass_rate) == (10, 3, 1, 0.3)
    low, high = _wilson(3, 10)
    assert math.isclose(rate.ci_low, low, abs_tol=1e-9)
    assert math.isclose(rate.ci_high, high, abs_tol=1e-9)


def test_delta_pairs_tasks_and_is_reproducible():
    outcomes = {"t0": (1, 1), "t1": (0, 1), "t2": (0, 0), "t3": (1, 1)}
    verdicts = [
        _verdict(task, condition, bool(pair[i]))
        for task, pair in outcomes.items()
        for i, condition in enumerate(("baseline", "curated"))
    ]
    verdicts.append(_verdict("t4", "curated", True))  # unpaired: left out of Δ
    (delta,) = procedural_deltas(verdicts, resamples=500, seed=1)
    assert (delta.n_tasks, delta.baseline, delta.curated, delta.delta) == (4, 0.5, 0.75, 0.25)
    assert 0.0 <= delta.ci_low <= 0.25 <= delta.ci_high <= 1.0
    assert procedural_deltas(verdicts, resamples=500, seed=1) == [delta]


def test_delta_interval_excludes_zero_for_a_clear_effect():
    verdicts = [
        _verdict(f"t{i}", condition, condition == "curated" or i % 5 == 0)
        for i in range(100)
        for condition in ("baseline", "curated")
    ]
    (delta,) = procedural_deltas(verdicts)
    assert math.isclose(delta.delta, 0.8) and delta.ci_low > 0.6
