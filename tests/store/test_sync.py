"""Deferred sync: a run whose tracking server is down finishes locally and says so in one
line; `procsft sync` publishes it once the server is back, and a second sync adds nothing."""

from __future__ import annotations

import io
import socket
import subprocess

from rich.console import Console

from procsft import stages
from procsft.config import load_config
from procsft.run_folder import RunFolder
from procsft.store.tracking import client_for
from tests.conftest import PROCSFT
from tests.store.fake_run import make_run


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sync(run, *options: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*PROCSFT, "sync", str(run), *options], capture_output=True, text=True, timeout=300
    )


def test_an_unreachable_tracking_server_leaves_a_complete_run_and_one_line(tmp_path):
    run = make_run(tmp_path / "runs")
    config = load_config(run / "config.yaml")
    down = f"http://127.0.0.1:{closed_port()}"
    storage = config.storage.model_copy(update={"tracking_uri": down})
    out = io.StringIO()
    published = stages.publish_stage(
        config.model_copy(update={"storage": storage}), RunFolder(run), Console(file=out, width=60)
    )
    assert published["published"] is False and down in published["reason"]
    (line,) = out.getvalue().splitlines()
    assert line.startswith("not published (tracking server") and f"procsft sync {run}" in line
    assert (run / "run_manifest.json").exists()  # the local part of publishing is done


def test_sync_publishes_later_and_a_second_sync_adds_nothing(tmp_path):
    run = make_run(tmp_path / "runs")
    refused = sync(run, "--tracking-uri", f"http://127.0.0.1:{closed_port()}")
    assert refused.returncode == 7
    assert refused.stderr.count("\n") == 1 and "not published" in refused.stderr

    back_up = f"sqlite:///{tmp_path / 'mlruns.db'}"
    first = sync(run, "--tracking-uri", back_up)
    assert first.returncode == 0, first.stderr
    assert "(created," in first.stdout
    client = client_for(back_up)
    (experiment,) = [e for e in client.search_experiments() if e.name == "demo"]
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) > 1  # the study and its children
    versions = client.search_model_versions()

    again = sync(run, "--tracking-uri", back_up)
    assert again.returncode == 0 and "(unchanged," in again.stdout
    assert len(client.search_runs([experiment.experiment_id])) == len(runs)
    assert len(client.search_model_versions()) == len(versions)


def test_sync_refuses_an_unfinished_run(tmp_path):
    run = make_run(tmp_path / "runs")
    (run / "summary.json").unlink()
    result = sync(run)
    assert result.returncode == 1 and "has not finished" in result.stderr


def test_sync_names_a_folder_that_is_not_a_run(tmp_path):
    result = sync(tmp_path / "nowhere")
    assert result.returncode == 1 and result.stderr.count("\n") == 1
    assert "not a run folder" in result.stderr
