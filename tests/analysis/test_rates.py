import math

from procsft.analysis.rates import pass_rates, procedural_deltas
from procsft.schema import Verdict


def _verdict(task, condition, passed, configuration="m/pre", seed=0, skill="s"):
    return Verdict(
        verdict_id=f"{configuration}|{task}|{condition}|{seed}|x",
        episode_id="e",
        scorer="x",
        configuration=configuration,
        student="m",
        size="1B",
        stage="pre",
        task_id=task,
        skill_id=skill,
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


def test_wilson_at_another_confidence_and_with_no_decided_verdict():
    (rate,) = pass_rates([_verdict(f"t{i}", "baseline", i < 3) for i in range(10)], confidence=0.9)
    low, high = _wilson(3, 10, z=1.6448536269514722)
    assert math.isclose(rate.ci_low, low, abs_tol=1e-9)
    assert math.isclose(rate.ci_high, high, abs_tol=1e-9)
    (empty,) = pass_rates([_verdict("t0", "baseline", None)])
    assert (empty.n, empty.undecided, empty.pass_rate, empty.ci_low) == (0, 1, None, None)


def test_delta_carries_exact_mcnemar_of_its_pairs():
    # 1 pair passes only at baseline, 5 only curated, 3 both, 1 neither:
    # exact p = 2 · P(Binomial(6, ½) ≤ 1) = 2 · 7/64.
    outcomes = [(1, 0)] + [(0, 1)] * 5 + [(1, 1)] * 3 + [(0, 0)]
    verdicts = [
        _verdict(f"t{i}", condition, bool(pair[j]))
        for i, pair in enumerate(outcomes)
        for j, condition in enumerate(("baseline", "curated"))
    ]
    (delta,) = procedural_deltas(verdicts, resamples=200)
    assert (delta.baseline_only, delta.curated_only, delta.mcnemar_pairs) == (1, 5, 10)
    assert math.isclose(delta.mcnemar_p, 14 / 64)
    assert math.isclose(delta.delta, 0.4)


def test_seeds_average_per_task_and_each_seed_is_a_mcnemar_pair():
    # t0: baseline passes 1 of 2 seeds, curated 2 of 2 → task Δ ½; t1: Δ 0.
    rows = {("t0", 0): (1, 1), ("t0", 1): (0, 1), ("t1", 0): (1, 1), ("t1", 1): (0, 0)}
    verdicts = [
        _verdict(task, condition, bool(pair[j]), seed=seed)
        for (task, seed), pair in rows.items()
        for j, condition in enumerate(("baseline", "curated"))
    ]
    (delta,) = procedural_deltas(verdicts, resamples=200)
    assert (delta.n_tasks, delta.baseline, delta.curated, delta.delta) == (2, 0.5, 0.75, 0.25)
    assert (delta.mcnemar_pairs, delta.baseline_only, delta.curated_only) == (4, 0, 1)


def test_skill_clusters_resample_whole_skills():
    # Skill a: every task gains 1; skill b: every task gains 0. Resampling skills can only
    # produce Δ ∈ {0, ½, 1}; resampling tasks produces every multiple of 1/8 in between.
    verdicts = [
        _verdict(f"{skill}{i}", condition, condition == "curated" and skill == "a", skill=skill)
        for skill in "ab"
        for i in range(4)
        for condition in ("baseline", "curated")
    ]
    (clustered,) = procedural_deltas(verdicts, resamples=400, cluster_by_skill=True)
    (by_task,) = procedural_deltas(verdicts, resamples=400)
    assert clustered.delta == by_task.delta == 0.5
    assert (clustered.ci_low, clustered.ci_high) == (0.0, 1.0)
    assert 0 < by_task.ci_low < 0.5 < by_task.ci_high < 1
    assert clustered.ci_method == "paired bootstrap over skills"
