from procsft.analysis.findings import (
    agreement_sentence,
    delta_sentence,
    interval,
    lift_sentence,
    prediction_sentences,
)

LIFT = {
    "size": "2B", "recipe": "lora", "scorer": "judge", "lift": 0.04, "ci_low": -0.01,
    "ci_high": 0.09, "n_tasks": 200, "n_seeds": 3, "seed_std": 0.012, "path_mismatch": [],
}  # fmt: skip


def test_lift_sentence_reads_like_the_paper_and_covers_zero_as_not_established():
    assert lift_sentence(LIFT) == (
        "SFT lift at 2B (lora, judge): +0.040 [-0.010, +0.090], n = 200 tasks, 3 seeds "
        "(per-seed sd 0.012) — not established: the interval covers zero."
    )
    clear = LIFT | {"ci_low": 0.01, "n_seeds": 1, "seed_std": None}
    assert lift_sentence(clear).endswith("1 seed — SFT raises Δ at this size.")


def test_a_number_compared_across_paths_says_so():
    marked = lift_sentence(LIFT | {"path_mismatch": ["dtype", "engine"]})
    assert marked.endswith("PATH MISMATCH (dtype, engine): compared across paths.")


def test_delta_sentence_states_mcnemar_and_direction():
    delta = {
        "configuration": "m/pre", "scorer": "x", "delta": -0.075, "ci_low": -0.12,
        "ci_high": -0.03, "n_tasks": 200, "mcnemar_p": 0.0042, "path_mismatch": [],
    }  # fmt: skip
    assert delta_sentence(delta) == (
        "Procedural Δ for m/pre (x): -0.075 [-0.120, -0.030], n = 200 tasks, McNemar p = 0.0042 "
        "— the skill block hurts it."
    )


def test_agreement_sentence_gives_the_weakest_pair_and_largest_shift():
    agreement = {
        "pairs": [{"kappa": 0.754, "agreement": 0.9325}, {"kappa": 0.9, "agreement": 0.97}],
        "largest_delta_shift": {"a": "j1", "b": "j2", "configuration": "m/pre", "shift": 0.035},
    }
    assert agreement_sentence(agreement) == (
        "Scorer agreement over 2 pair(s): κ ≥ 0.754, raw agreement ≥ 0.932; largest shift of a "
        "headline Δ 0.035 (j1 vs j2 at m/pre)."
    )


def test_prediction_sentences_end_with_the_outcome():
    untested = {"uniform": [], "largest_where_pre_lowest": [], "status": "untested"}
    assert prediction_sentences(untested | {"reason": "no size is marked new"}) == [
        "The paper's prediction overall: untested: no size is marked new."
    ]
    assert interval(None, 0.1) == "—"
