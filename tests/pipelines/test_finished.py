"""An unchanged rerun of a finished local run has nothing to run; any change runs the pipeline."""

import os

import pytest

from procsft.config import StudyConfig
from procsft_kfp.pipelines.finished import record_finished, unchanged_since_finished
from tests.conftest import tiny_config


@pytest.fixture
def finished_run(tmp_path, cache_dir, monkeypatch):
    """A run folder with two files, a local tracking database, and its stamp recorded."""
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    config = StudyConfig.model_validate(tiny_config(tmp_path, cache_dir))
    runs = tmp_path / "runs"
    run = runs / config.run_id()
    (run / "rollout").mkdir(parents=True)
    (run / "summary.json").write_text("{}")
    (run / "rollout" / "shard.jsonl").write_text("{}\n")
    (runs / "_mlflow").mkdir()
    (runs / "_mlflow" / "mlruns.db").write_bytes(b"")
    record_finished(config, run, runs / "_kfp", image=None, headline="the answer\n")
    return config, run, runs / "_kfp"


def test_an_unchanged_finished_run_has_nothing_to_run(finished_run):
    config, run, root = finished_run
    assert unchanged_since_finished(config, run, root, image=None) == "the answer\n"
    assert unchanged_since_finished(config, run, root, image="procsft-base:1") is None


@pytest.mark.parametrize("change", ["rewrite", "remove", "add", "tracking database"])
def test_a_changed_run_folder_runs_the_pipeline(finished_run, change):
    config, run, root = finished_run
    shard = run / "rollout" / "shard.jsonl"
    if change == "rewrite":  # same bytes, written again
        stat = shard.stat()
        os.utime(shard, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))
    elif change == "remove":
        shard.unlink()
    elif change == "add":
        (run / "failure.json").write_text("{}")
    else:
        (run.parent / "_mlflow" / "mlruns.db").unlink()
    assert None is unchanged_since_finished(config, run, root, image=None)


def test_another_config_or_a_remote_store_runs_the_pipeline(finished_run, monkeypatch):
    config, run, root = finished_run
    other = config.model_copy(update={"seeds": [1]})
    assert None is unchanged_since_finished(other, run, root, image=None)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000")
    assert None is unchanged_since_finished(config, run, root, image=None)
    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    s3 = config.storage.model_copy(update={"artifacts": "s3://bucket/runs"})
    remote = config.model_copy(update={"storage": s3})
    record_finished(remote, run, root, image=None)  # publishing there may have failed
    assert None is unchanged_since_finished(remote, run, root, image=None)


def test_edited_code_runs_the_pipeline(finished_run, monkeypatch):
    config, run, root = finished_run
    from procsft_kfp.pipelines import finished

    monkeypatch.setattr(finished, "_code_sha256", lambda: "edited")
    assert None is unchanged_since_finished(config, run, root, image=None)
