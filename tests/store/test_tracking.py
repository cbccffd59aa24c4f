"""MLflow through a real tracking server whose artifacts live in SeaweedFS: runs, metrics,
artifacts, idempotent logging, the registry and its aliases, and redaction end to end."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from procsft.store.manifest import RUN_MANIFEST, write_manifest
from procsft.store.registry import (
    CANDIDATE,
    CHAMPION,
    get_version,
    list_versions,
    model_name,
    register_adapters,
)
from procsft.store.tracking import PARENT_TAG, client_for, compare_sizes, log_run
from tests.store.conftest import s3_store_for
from tests.store.fake_run import LOSS, make_run


@pytest.fixture
def experiment() -> str:
    return f"exp-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def logged(services, tmp_path_factory):
    """One fake run logged once, read by several tests (each logging costs seconds). Its run id
    is its own: registered models are shared by the whole server."""
    run = make_run(tmp_path_factory.mktemp("runs"), run_id=f"reg-{uuid.uuid4().hex[:12]}")
    experiment = f"exp-{uuid.uuid4().hex[:8]}"
    return run, experiment, log_run(run, tracking_uri=services.mlflow_url, experiment=experiment)


def _bucket_objects(services) -> dict[str, tuple]:
    client = s3_store_for(services).client
    paginator = client.get_paginator("list_objects_v2")
    pages = paginator.paginate(Bucket=services.bucket, Prefix="mlflow/")
    return {
        o["Key"]: (o["ETag"], o["LastModified"]) for page in pages for o in page.get("Contents", [])
    }


def test_log_run_nests_children_with_metrics_and_s3_artifacts(services, logged):
    _, _, logged = logged
    # parent, 5 configurations, a scoring run under each (one scorer), 3 trainings
    assert logged.status == "created" and len(logged.created) == 1 + 5 + 5 + 3
    client = client_for(services.mlflow_url)
    parent = client.get_run(logged.parent_run_id)
    assert parent.data.tags["study"] == "demo" and len(parent.data.tags["git_commit"]) == 40
    assert parent.data.tags["config_fingerprint"] == "f" * 64
    assert parent.data.tags["prediction"] == "inconclusive"
    assert parent.data.params["analysis.resamples"] == "200"
    assert parent.data.metrics["run.judge.judge.cost_usd"] == 0.25
    assert parent.data.metrics["judge_agreement.pairs.extractor.judge.kappa"] == 0.5
    assert parent.data.metrics["stages.judge.cost_usd"] == 0.25
    assert "agreement.pairs.extractor.judge.kappa" not in parent.data.metrics  # logged once
    assert parent.data.metrics["lift.small.lora-r8.extractor.lift"] == pytest.approx(0.25)

    child = client.get_run(logged.configuration_runs["small/post/lora-r8/seed0"])
    assert child.data.tags[PARENT_TAG] == logged.parent_run_id
    assert child.data.params["size"] == "S" and child.data.params["params"] == "1000"
    assert child.data.params["path.dtype"] == "float32"
    assert child.data.metrics["rollout.tokens_per_second"] == 30.0
    scoring = client.get_run(logged.scoring_runs[("small/post/lora-r8/seed0", "extractor")])
    assert scoring.data.tags[PARENT_TAG] == logged.parent_run_id
    assert scoring.data.params["size"] == "S" and scoring.data.params["scorer"] == "extractor"
    metrics = scoring.data.metrics
    assert metrics["pass_rate.curated"] == pytest.approx(0.45)
    assert metrics["delta"] == pytest.approx(0.15)
    assert metrics["lift.ci_low"] == 0.05
    rows = [f.path for f in client.list_artifacts(child.info.run_id, "rows")]
    assert rows == ["rows/episodes.jsonl", "rows/verdicts.jsonl"]

    training = logged.training_runs["train/small/lora-r8/seed1"]
    history = client.get_metric_history(training, "train_loss")
    assert [(m.step, m.value) for m in history] == [(s, v) for s, v in LOSS]
    adapter = {f.path for f in client.list_artifacts(training, "adapter")}
    assert "adapter/adapter_model.safetensors" in adapter

    top = {f.path for f in client.list_artifacts(logged.parent_run_id)}
    assert {"report.md", "summary.json", "plots", "episodes.jsonl", "config.yaml"} <= top
    assert "train" not in top  # adapters live in their training runs
    keys = _bucket_objects(services)
    assert any(logged.parent_run_id in k and k.endswith("/report.md") for k in keys)
    assert any(training in k and k.endswith("adapter_model.safetensors") for k in keys)


def test_logging_the_same_run_twice_writes_nothing(services, tmp_path, experiment):
    run = make_run(tmp_path / "runs")
    first = log_run(run, tracking_uri=services.mlflow_url, experiment=experiment)
    client = client_for(services.mlflow_url)
    exp_id = client.get_experiment_by_name(experiment).experiment_id
    runs_before = {r.info.run_id for r in client.search_runs([exp_id])}
    objects_before = _bucket_objects(services)

    again = log_run(run, tracking_uri=services.mlflow_url, experiment=experiment)
    assert again.status == "unchanged" and again.created == []
    assert again.parent_run_id == first.parent_run_id
    assert again.configuration_runs == first.configuration_runs
    assert again.training_runs == first.training_runs
    assert {r.info.run_id for r in client.search_runs([exp_id])} == runs_before
    assert _bucket_objects(services) == objects_before

    # A changed folder updates the same runs instead of making new ones.
    (run / "report.md").write_text("# demo, revised\n")
    updated = log_run(run, tracking_uri=services.mlflow_url, experiment=experiment)
    assert updated.status == "updated" and updated.created == []
    assert {r.info.run_id for r in client.search_runs([exp_id])} == runs_before


def test_search_runs_compares_sizes(services, logged):
    _, experiment, _ = logged
    rows = compare_sizes(
        "pass_rate.curated",
        tracking_uri=services.mlflow_url,
        experiment=experiment,
        stage="pre",
        scorer="extractor",
    )
    assert [(r["configuration"], r["size"], r["params"]) for r in rows] == [
        ("small/pre", "S", 1000),
        ("big/pre", "L", 5000),
    ]
    assert [r["value"] for r in rows] == [pytest.approx(0.15), pytest.approx(0.3)]


def test_registry_versions_aliases_and_download(services, tmp_path, logged):
    run, experiment, logged = logged
    records = register_adapters(run, logged)
    by_adapter = {r["adapter"]: r for r in records}
    small = model_name("small")
    assert small == "procsft-small-procedural"
    assert all(r["created"] for r in records)
    seed0 = by_adapter["train/small/lora-r8/seed0"]
    seed1 = by_adapter["train/small/lora-r8/seed1"]
    # seed1 is newest: candidate. seed0's lift interval lies above zero; seed1's larger lift
    # has an interval holding zero, so the champion is seed0.
    assert seed1["aliases"] == [CANDIDATE] and seed0["aliases"] == [CHAMPION]
    assert by_adapter["train/big/lora-r8/seed0"]["aliases"] == [CANDIDATE]  # no lift: no champion

    versions = [v for v in list_versions(small, tracking_uri=services.mlflow_url)]
    mine = [v for v in versions if v["tags"]["procsft_run_id"] == run.name]
    assert {v["tags"]["seed"] for v in mine} == {"0", "1"}
    tags = next(v for v in mine if v["version"] == seed0["version"])["tags"]
    assert tags["recipe"] == "lora-r8" and tags["corpus_sha256"] == "c" * 64
    assert (tags["lift"], tags["lift_ci_low"], tags["lift_ci_high"]) == ("0.2", "0.05", "0.35")
    assert tags["base_revision"] == "none"

    again = register_adapters(
        run, log_run(run, tracking_uri=services.mlflow_url, experiment=experiment)
    )
    assert not any(r["created"] for r in again)
    assert len(list_versions(small, tracking_uri=services.mlflow_url)) == len(versions)

    record, folder = get_version(small, CHAMPION, tmp_path / "dl", tracking_uri=services.mlflow_url)
    assert record["version"] == seed0["version"]
    original = run / "train/small/lora-r8/seed0"
    for name in ("adapter_model.safetensors", "adapter_config.json", "train_meta.json"):
        assert (folder / name).read_bytes() == (original / name).read_bytes()


def test_default_tracking_is_sqlite_beside_the_runs(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(tmp_path)  # MLflow's own default would put ./mlruns here
    run = make_run(tmp_path / "runs")
    logged = log_run(run)
    assert logged.tracking_uri == f"sqlite:///{tmp_path / 'runs' / '_mlflow' / 'mlruns.db'}"
    artifacts = tmp_path / "runs" / "_mlflow" / "artifacts"
    assert list(artifacts.rglob("report.md")) and list(artifacts.rglob("adapter_config.json"))
    assert log_run(run).status == "unchanged"
    assert not (tmp_path / "mlruns").exists()


def test_a_secret_in_the_environment_is_never_written(services, tmp_path, monkeypatch):
    marker = f"marker-{uuid.uuid4().hex}"
    monkeypatch.setenv("PROCSFT_TEST_API_TOKEN", marker)
    experiment = f"secret-{uuid.uuid4().hex[:8]}"
    run = make_run(tmp_path / "runs", run_id=f"sec-{uuid.uuid4().hex[:12]}", marker=marker)
    assert marker in (run / "report.md").read_text()  # the run folder itself holds it

    store = s3_store_for(services)
    write_manifest(run, store)
    logged = log_run(run, tracking_uri=services.mlflow_url, experiment=experiment)
    register_adapters(run, logged)

    assert marker not in (run / RUN_MANIFEST).read_text()
    published = tmp_path / "published"
    for key in store.list():
        assert marker.encode() not in store.get(key, published / key).read_bytes(), key
    client = client_for(services.mlflow_url)
    exp_id = client.get_experiment_by_name(experiment).experiment_id
    for found in client.search_runs([exp_id]):
        assert marker not in str(found.data.params) + str(found.data.tags)
        local = client.download_artifacts(found.info.run_id, "", str(tmp_path / found.info.run_id))
        for path in Path(local).rglob("*"):
            if path.is_file():
                assert marker.encode() not in path.read_bytes(), path
    for version in list_versions(tracking_uri=services.mlflow_url):
        assert marker not in str(version)
