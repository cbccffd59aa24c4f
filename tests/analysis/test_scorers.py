from procsft.analysis.rates import task_outcomes, verdict_frame
from procsft.analysis.scorers import agreement_table, scoring_artifact
from procsft.testing.synthetic import verdict

# (task, condition) → (extractor, judge): the extractor misses both curated passes.
OUTCOMES = {
    ("t0", "baseline"): (1, 1),
    ("t1", "baseline"): (0, 0),
    ("t0", "curated"): (0, 1),
    ("t1", "curated"): (0, 1),
}


def test_scoring_artifact_by_condition_and_in_delta():
    frame = verdict_frame(
        verdict("m/pre", task, condition, bool(value), scorer=scorer)
        for (task, condition), values in OUTCOMES.items()
        for scorer, value in zip(("extractor", "judge"), values, strict=True)
    )
    artifact = scoring_artifact(
        frame, task_outcomes(frame), ["extractor"], resamples=200, confidence=0.95, seed=0
    )
    rates = {r["condition"]: r for r in artifact["pass_rates"]}
    assert (rates["baseline"]["extractor_pass_rate"], rates["baseline"]["scorer_pass_rate"]) == (
        0.5,
        0.5,
    )
    assert (rates["curated"]["extractor_pass_rate"], rates["curated"]["scorer_pass_rate"]) == (
        0.0,
        1.0,
    )
    assert rates["curated"]["difference"] == 1.0 and rates["curated"]["n"] == 2
    (delta,) = artifact["deltas"]
    # Δ(extractor) = 0 − ½, Δ(judge) = 1 − ½; each task shifts by exactly 1.
    assert (delta["extractor_delta"], delta["scorer_delta"], delta["difference"]) == (-0.5, 0.5, 1)
    assert (delta["ci_low"], delta["ci_high"], delta["n_tasks"]) == (1.0, 1.0, 2)


def test_agreement_table_names_the_largest_headline_delta_shift():
    agreement = {
        "pairs": [
            {"a": "extractor", "b": "j1", "n": 8, "kappa": 0.8, "agreement": 0.9,
             "delta_shift": {"m/pre": 0.01, "m/post/lora/seed0": -0.035}},
            {"a": "j1", "b": "j2", "n": 8, "kappa": None, "agreement": 1.0, "delta_shift": {}},
        ],
        "krippendorff_alpha": None,
    }  # fmt: skip
    table = agreement_table(agreement)
    assert table["largest_delta_shift"] == {
        "a": "extractor",
        "b": "j1",
        "configuration": "m/post/lora/seed0",
        "shift": 0.035,
    }
    assert table["pairs"][1]["max_abs_delta_shift"] is None
    assert agreement_table(None) is None
