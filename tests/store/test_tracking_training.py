"""A real training run logged to a real MLflow tracking server: its speed and the rows it
trained on arrive under the names training writes, once (issue 15: tracking read `tokens_per_s`
and `rows` while training writes `tokens_per_second` and `rows_trained`)."""

from __future__ import annotations

import uuid

from rich.console import Console

from procsft import stages
from procsft.config import load_config
from procsft.run_folder import RunFolder
from procsft.store.tracking import client_for, log_run
from tests.conftest import tiny_config, write_yaml

RECIPE = {"name": "hot", "learning_rate": 0.05, "epochs": 1, "batch_size": 2}


def test_training_speed_and_rows_reach_mlflow_once(services, tmp_path, cache_dir):
    config_data = tiny_config(
        tmp_path,
        cache_dir,
        stages=["pre", "post"],
        recipes=[RECIPE],
        subset={"skills": ["gcd-euclid", "median"], "tasks_per_skill": 1, "corpus_rows": 4},
    )
    config = load_config(write_yaml(tmp_path / "study.yaml", config_data))
    run = RunFolder(tmp_path / "runs" / config.run_id())
    stages.suite_stage(config, run)
    (adapter,) = stages.train_stage(config, run, Console(quiet=True))
    meta = run.read_train_meta(adapter)
    assert meta is not None and meta.rows_trained == 4 and meta.tokens_per_second > 0

    experiment = f"train-{uuid.uuid4().hex[:8]}"
    logged = log_run(run.root, tracking_uri=services.mlflow_url, experiment=experiment)

    client = client_for(services.mlflow_url)
    training = client.get_run(logged.training_runs[adapter.folder.as_posix()])
    metrics = training.data.metrics
    assert metrics["train.tokens_per_second"] == meta.tokens_per_second
    assert metrics["train.rows_trained"] == 4
    assert metrics["train.steps"] == meta.steps
    assert training.data.params["corpus_rows"] == "4"
    # The parent run does not repeat the training's facts under the train stage's record.
    parent = client.get_run(logged.parent_run_id).data.metrics
    assert not [name for name in parent if name.startswith("stages.train.adapters")]
    assert meta.tokens_per_second not in {v for k, v in parent.items() if "train" in k}
