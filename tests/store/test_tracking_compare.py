"""MLflow shows the comparison the study exists for (issue 17): a published multi-size study
lands in a machine-learning experiment whose scoring runs carry the same metric names for
every size and scorer, so that MLflow's compare view charts Δ and lift by size."""

from __future__ import annotations

import pytest

from procsft.store.tracking import (
    EXPERIMENT_KIND,
    EXPERIMENT_KIND_TAG,
    PARENT_TAG,
    client_for,
    compare_sizes,
    log_run,
)
from procsft.testing.synthetic import SIZES, make_study, write_run_folder

SCORERS = ("extractor", "judge")


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """A three-size study with a reference, two scorers and a known post-SFT gain on curated,
    published to a sqlite tracking store."""
    root = tmp_path_factory.mktemp("published")
    study = make_study(tasks=10, scorers=SCORERS, p={("post", "curated"): 0.9}, seed=4)
    run = write_run_folder(study, root / "runs" / "synthetic-0123456789ab")
    uri = f"sqlite:///{root / 'mlruns.db'}"
    return run, log_run(run, tracking_uri=uri, experiment="sizes")


def test_the_experiment_is_a_machine_learning_one(published):
    _, logged = published
    experiment = client_for(logged.tracking_uri).get_experiment(logged.experiment_id)
    assert experiment.tags[EXPERIMENT_KIND_TAG] == EXPERIMENT_KIND == "custom_model_development"


def test_every_scoring_run_has_the_same_metric_names(published):
    run, logged = published
    client = client_for(logged.tracking_uri)
    names = {name for name, _, _ in SIZES}
    configurations = {f"{n}/pre" for n in names} | {f"{n}/post/lora/seed0" for n in names}
    configurations.add("ref/reference")
    assert set(logged.configuration_runs) == configurations
    assert set(logged.scoring_runs) == {(c, s) for c in configurations for s in SCORERS}

    keys: dict[str, set[frozenset[str]]] = {}
    for (configuration, scorer), run_id in logged.scoring_runs.items():
        found = client.get_run(run_id)
        # Beside its configuration's run (which holds the path and rollout facts).
        assert found.data.tags[PARENT_TAG] == logged.parent_run_id
        params = found.data.params
        assert (params["configuration"], params["scorer"]) == (configuration, scorer)
        keys.setdefault(params["stage"], set()).add(frozenset(found.data.metrics))
        # No metric name carries a size, a student or a scorer: those are params.
        for key in found.data.metrics:
            assert not set(key.split(".")) & (names | set(SCORERS) | {"ref"}), key

    # One set of names per stage, whatever the size or scorer; only post runs have a lift.
    assert {stage: len(sets) for stage, sets in keys.items()} == {
        "pre": 1,
        "post": 1,
        "reference": 1,
    }
    (post,) = keys["post"]
    (pre,) = keys["pre"]
    assert {"pass_rate.baseline", "pass_rate.curated", "delta", "delta.ci_low"} <= pre
    assert post - pre == {"lift", "lift.ci_low", "lift.ci_high"}
    assert keys["reference"] == {pre}


def test_scoring_runs_hold_the_summary_numbers_by_size(published):
    run, logged = published
    from procsft.run_folder import RunFolder

    summary = RunFolder(run).read_summary()
    client = client_for(logged.tracking_uri)
    for row in summary.lift:
        for seed in row.seeds:
            found = client.get_run(logged.scoring_runs[(seed.configuration, row.scorer)])
            assert found.data.metrics["lift"] == pytest.approx(seed.lift)
            assert found.data.metrics["lift.ci_low"] == pytest.approx(seed.ci_low)
    for row in summary.procedural_delta:
        found = client.get_run(logged.scoring_runs[(row.configuration, row.scorer)])
        assert found.data.metrics["delta"] == pytest.approx(row.delta)
    for row in summary.pass_rates:
        found = client.get_run(logged.scoring_runs[(row.configuration, row.scorer)])
        assert found.data.metrics[f"pass_rate.{row.condition}"] == pytest.approx(row.pass_rate)
    # The configuration's own run keeps what is not one scorer's: no pass rate, Δ or lift twice.
    own = client.get_run(logged.configuration_runs["s2/pre"]).data.metrics
    assert not [k for k in own if k.split(".")[0] in ("pass_rates", "procedural_delta", "lift")]

    # `size` names the size, `params` (the parameter count) orders the sizes in a chart.
    rows = compare_sizes(
        "lift", tracking_uri=logged.tracking_uri, experiment="sizes", stage="post", scorer="judge"
    )
    assert [(r["size"], r["params"]) for r in rows] == [(size, p) for _, size, p in SIZES]
    assert all(r["value"] > 0 for r in rows)  # post-SFT curated passes 0.9, pre 0.5


def test_a_run_logged_before_scoring_runs_gains_them(published):
    """A folder logged under the earlier layout (no scoring runs) is logged again into the
    same runs once, its scoring runs added."""
    run, logged = published
    client = client_for(logged.tracking_uri)
    for run_id in logged.scoring_runs.values():
        client.delete_run(run_id)
    client.set_tag(logged.parent_run_id, "procsft.layout", "1")
    again = log_run(run, tracking_uri=logged.tracking_uri, experiment="sizes")
    assert again.status == "updated" and len(again.created) == len(logged.scoring_runs)
    assert again.parent_run_id == logged.parent_run_id
    assert again.configuration_runs == logged.configuration_runs
    assert set(again.scoring_runs) == set(logged.scoring_runs)
    assert log_run(run, tracking_uri=logged.tracking_uri, experiment="sizes").status == "unchanged"
