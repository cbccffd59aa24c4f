import math

import numpy as np
from sklearn.metrics import cohen_kappa_score

from procsft.analysis.agreement import agreement_report, krippendorff_alpha, pairwise
from procsft.schema import Verdict


def _v(episode: int, scorer: str, passed, condition="baseline", configuration="m/pre"):
    return Verdict(
        verdict_id=f"{episode}|{scorer}",
        episode_id=f"{configuration}|{episode}|{condition}",
        scorer=scorer,
        configuration=configuration,
        student="m",
        size="1B",
        stage="pre",
        task_id=f"t{episode}",
        skill_id="s",
        condition=condition,
        seed=0,
        path_fingerprint="f",
        passed=passed,
        format_ok=True,
        extracted=None,
        reason="",
    )


def test_hand_checked_two_by_two():
    a = [True, True, False, False]
    b = [True, False, False, False]
    verdicts = [_v(i, "a", x) for i, x in enumerate(a)] + [_v(i, "b", y) for i, y in enumerate(b)]
    verdicts.append(_v(9, "a", None))  # undecided: left out of the pair
    (pair,) = pairwise(verdicts)
    assert pair["table"] == {"both_pass": 1, "a_only": 1, "b_only": 0, "both_fail": 2}
    assert pair["n"] == 4 and pair["agreement"] == 0.75
    assert math.isclose(pair["kappa"], 0.5)  # p_o 0.75, p_e 0.5


def test_kappa_and_agreement_equal_scikit_learn_on_random_data():
    rng = np.random.default_rng(0)
    a, b = rng.random(300) < 0.6, rng.random(300) < 0.5
    b[:150] = a[:150]  # correlated
    verdicts = [_v(i, "a", bool(x)) for i, x in enumerate(a)]
    verdicts += [_v(i, "b", bool(y)) for i, y in enumerate(b)]
    (pair,) = pairwise(verdicts)
    assert math.isclose(pair["kappa"], cohen_kappa_score(a, b))
    assert math.isclose(pair["agreement"], float(np.mean(a == b)))


def test_kappa_undefined_when_both_give_one_label():
    verdicts = [_v(i, s, True) for i in range(5) for s in ("a", "b")]
    assert pairwise(verdicts)[0]["kappa"] is None


def test_delta_shift_when_one_scorer_replaces_the_other():
    verdicts = []
    for i in range(4):  # a: Δ = 0.5 ; b: Δ = 0.25
        verdicts += [_v(i, "a", False), _v(i, "a", i < 2, "curated")]
        verdicts += [_v(i, "b", False), _v(i, "b", i < 1, "curated")]
    (pair,) = pairwise(verdicts)
    assert pair["delta_shift"] == {"m/pre": -0.25} and pair["max_abs_delta_shift"] == 0.25


def test_krippendorff_alpha_needs_three_scorers():
    perfect = [_v(i, s, i % 2 == 0) for i in range(6) for s in ("a", "b", "c")]
    assert math.isclose(krippendorff_alpha(perfect), 1.0)
    assert krippendorff_alpha([v for v in perfect if v.scorer != "c"]) is None
    report = agreement_report(perfect, extractors=["a"])
    assert len(report["pairs"]) == 3 and report["krippendorff_alpha"] == 1.0
