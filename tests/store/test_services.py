"""`make up` / `make down`: the local services and their state folder."""

from __future__ import annotations

import json
import subprocess
import sys

from procsft.config import load_config
from procsft.services import main, settings_from_env, status, stop
from procsft.store import S3Store, open_store
from tests.conftest import REPO


def test_status_reports_both_services(services, capsys):
    state = status(services.root)
    assert state["weed"]["running"] and state["mlflow"]["running"]
    assert state["weed"]["url"] == services.s3_url
    assert state["mlflow"]["url"] == services.mlflow_url
    assert main(["status", "--dir", str(services.root)]) == 0
    out = capsys.readouterr().out
    assert f"mlflow: running  {services.mlflow_url}" in out
    secret = services.credentials_file.read_text().split("aws_secret_access_key = ")[1].strip()
    assert secret not in out
    assert oct(services.credentials_file.stat().st_mode & 0o777) == "0o600"


def test_down_never_touches_a_process_it_did_not_start(tmp_path):
    # A pid file that points at some other program (a reused pid) is left alone.
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (tmp_path / "state.json").write_text(json.dumps({"pids": {"weed": other.pid}}))
        assert stop(tmp_path, wait_s=0.1) == []
        assert other.poll() is None
    finally:
        other.kill()
        other.wait()


def test_fixed_default_ports_and_env_overrides(monkeypatch, tmp_path):
    monkeypatch.delenv("PROCSFT_S3_PORT", raising=False)
    monkeypatch.setenv("PROCSFT_MLFLOW_PORT", "5055")
    settings = settings_from_env(tmp_path)
    assert settings.s3_url == "http://127.0.0.1:8333"
    assert settings.mlflow_url == "http://127.0.0.1:5055"
    assert settings.ports["master_grpc"] == settings.ports["master"] + 10000


def test_local_services_config_points_at_the_services():
    config = load_config(REPO / "configs" / "local-services.yaml")
    local = load_config(REPO / "configs" / "local.yaml")
    # Same study, same run folder: storage changes no result.
    copy = "configs/local-services.yaml must be configs/local.yaml plus `storage`: copy it over"
    assert config.run_id() == local.run_id(), copy
    store = open_store(config)
    assert isinstance(store, S3Store) and store.uri == "s3://procsft/runs"
    assert store.endpoint_url == "http://127.0.0.1:8333"
    assert config.storage.tracking_uri == "http://127.0.0.1:5000"
