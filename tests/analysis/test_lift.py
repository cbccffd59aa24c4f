import math

from procsft.analysis.lift import configuration_table, lifts
from procsft.analysis.rates import task_outcomes, verdict_frame
from procsft.testing.synthetic import verdict

# Per task (baseline, curated). Pre Δ per task: 0, +1, 0, −1 → Δ(pre) = 0.
PRE = {"t0": (1, 1), "t1": (0, 1), "t2": (0, 0), "t3": (1, 0)}
# Seed 0 Δ per task: +1, +1, 0, 0 → Δ = ½; seed 1: +1, 0, 0, 0 → Δ = ¼.
POST = {
    0: {"t0": (0, 1), "t1": (0, 1), "t2": (1, 1), "t3": (0, 0)},
    1: {"t0": (0, 1), "t1": (1, 1), "t2": (0, 0), "t3": (1, 1)},
}


def _rows(configuration, outcomes, scorer="x"):
    return [
        verdict(configuration, task, condition, bool(pair[i]), scorer=scorer)
        for task, pair in outcomes.items()
        for i, condition in enumerate(("baseline", "curated"))
    ]


def _lifts(verdicts, resamples=300, **kwargs):
    frame = verdict_frame(verdicts)
    return lifts(
        task_outcomes(frame),
        configuration_table(frame),
        resamples=resamples,
        confidence=0.95,
        seed=0,
        **kwargs,
    )


def test_lift_is_post_delta_minus_pre_delta_paired_by_task():
    (lift,), per_task = _lifts(_rows("m/pre", PRE) + _rows("m/post/lora/seed0", POST[0]))
    assert (lift.student, lift.recipe, lift.scorer, lift.n_tasks, lift.n_seeds) == (
        "m",
        "lora",
        "x",
        4,
        1,
    )
    assert lift.lift == 0.5 and lift.seed_std is None
    assert lift.pre_configuration == "m/pre"
    assert lift.post_configurations == ["m/post/lora/seed0"]
    assert -1 <= lift.ci_low <= 0.5 <= lift.ci_high <= 2
    # Per task: post − pre = +1, 0, 0, +1.
    assert per_task.sort_values("task_id")["lift"].tolist() == [1.0, 0.0, 0.0, 1.0]


def test_several_training_seeds_give_per_seed_lifts_mean_and_std():
    verdicts = _rows("m/pre", PRE)
    for seed, outcomes in POST.items():
        verdicts += _rows(f"m/post/lora/seed{seed}", outcomes)
    (lift,), _ = _lifts(verdicts)
    assert [(s.train_seed, s.lift) for s in lift.seeds] == [(0, 0.5), (1, 0.25)]
    assert lift.lift == 0.375
    assert math.isclose(lift.seed_std, math.sqrt(2 * 0.125**2))
    assert lift.ci_method == "paired bootstrap over tasks and training seeds"
    assert _lifts(verdicts)[0] == [lift]  # reproducible for a fixed seed


def test_tasks_missing_from_either_side_are_left_out_and_scorers_kept_apart():
    post = dict(POST[0]) | {"t4": (0, 1)}  # t4 never ran under pre
    verdicts = _rows("m/pre", PRE) + _rows("m/post/lora/seed0", post)
    verdicts += _rows("m/pre", PRE, scorer="y")  # no post verdicts under y: no lift
    (lift,), _ = _lifts(verdicts)
    assert (lift.scorer, lift.n_tasks, lift.lift) == ("x", 4, 0.5)


def test_reference_and_pre_only_runs_have_no_lift():
    found, per_task = _lifts(_rows("m/pre", PRE) + _rows("ref/reference", PRE))
    assert found == [] and per_task.empty
