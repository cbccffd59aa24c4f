import math

import pandas as pd
import pytest

from procsft.analysis.lift import Lift, SeedLift
from procsft.analysis.prediction import check_prediction, ordering, uniformity

SETTINGS = {"resamples": 200, "confidence": 0.95, "seed": 0}


@pytest.mark.parametrize(
    ("low", "high", "status", "reason"),
    [
        (0.03, 0.08, "held", "inside the band"),
        (0.00, 0.10, "held", "inside the band"),  # touching the edges is inside
        (0.16, 0.24, "failed", "outside the band"),
        (-0.12, -0.02, "failed", "outside the band"),
        (-0.06, 0.16, "inconclusive", "0.220 wide, the band 0.100"),
        (0.06, 0.14, "inconclusive", "straddles the band edge +0.100"),
    ],
)
def test_uniformity_against_the_band_of_earlier_sizes(low, high, status, reason):
    # Earlier sizes' mean lift 0.05, band ± 0.05: [0.00, 0.10].
    assert uniformity(low, high, 0.05, 0.05)[0] == status
    assert reason in uniformity(low, high, 0.05, 0.05)[1]


def test_ordering_needs_every_difference_resolved():
    assert ordering([(0.01, 0.2), (0.05, 0.1)])[0] == "held"
    assert ordering([(0.01, 0.2), (-0.3, -0.1)])[0] == "failed"
    assert ordering([(0.01, 0.2), (-0.1, 0.1)])[0] == "inconclusive"


def _lift(student: str, size: str, value: float) -> Lift:
    seed = SeedLift(f"{student}/post/lora/seed0", 0, value, value, value)
    return Lift(
        student, size, "lora", "judge", f"{student}/pre", 50, value, value, value, None,
        (seed,), 200, 0.95, "paired bootstrap over tasks",
    )  # fmt: skip


def _task_lifts(values: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"student": s, "recipe": "lora", "scorer": "judge", "task_id": f"t{t}"}
            | {"skill_id": f"k{t // 5}", "lift": v}
            for s, v in values.items()
            for t in range(50)
        ]
    )


def test_prediction_reports_the_numbers_and_fails_on_a_non_uniform_new_size():
    # Every task of a size has the same lift, so every interval is a point.
    values = {"s08": 0.30, "s2": 0.10, "s8": 0.12}
    lifts = [_lift("s08", "0.8B", 0.30), _lift("s2", "2B", 0.10), _lift("s8", "8B", 0.12)]
    pre = {("s08/pre", "judge"): -0.075, ("s2/pre", "judge"): 0.06, ("s8/pre", "judge"): 0.0}
    result = check_prediction(lifts, pre, _task_lifts(values), {"s8"}, band=0.05, **SETTINGS)
    (uniform,) = result["uniform"]
    assert (uniform["size"], uniform["earlier_sizes"]) == ("8B", ["0.8B", "2B"])
    assert math.isclose(uniform["earlier_mean"], 0.2)
    assert math.isclose(uniform["band_low"], 0.15) and math.isclose(uniform["band_high"], 0.25)
    assert uniform["status"] == "failed"
    (order,) = result["largest_where_pre_lowest"]
    assert (order["lowest_pre_size"], order["largest_lift_size"], order["status"]) == (
        "0.8B",
        "0.8B",
        "held",
    )
    differences = {d["size"]: round(d["difference"], 9) for d in order["differences"]}
    assert differences == {"2B": 0.2, "8B": 0.18}
    assert result["status"] == "failed"  # one part failed


def test_prediction_holds_when_both_parts_hold():
    values = {"s08": 0.30, "s2": 0.20, "s8": 0.26}
    lifts = [_lift(s, s.upper(), v) for s, v in values.items()]
    pre = {("s08/pre", "judge"): -0.1, ("s2/pre", "judge"): 0.05, ("s8/pre", "judge"): 0.0}
    result = check_prediction(lifts, pre, _task_lifts(values), {"s8"}, band=0.05, **SETTINGS)
    assert [c["status"] for c in result["uniform"]] == ["held"]
    assert result["status"] == "held"


def test_prediction_is_untested_without_new_sizes():
    lifts = [_lift("s08", "0.8B", 0.3)]
    result = check_prediction(lifts, {}, _task_lifts({"s08": 0.3}), set(), band=0.05, **SETTINGS)
    assert result["status"] == "untested" and "no size is marked new" in result["reason"]
