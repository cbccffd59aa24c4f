"""Submitting uploads the compiled study as a pipeline version and starts a run (or a recurring
run) of it at a KFP endpoint, here a loopback fake of its REST API. Without a reachable
endpoint, or at one that refuses, it is one line on stderr and a non-zero exit, never a
traceback."""

import json
import os
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from procsft.config import load_config
from procsft.errors import ExitCode
from tests.pipelines.kfp_api_server import LoopbackKFPServer

REPO = Path(__file__).resolve().parents[2]
PAPER = "configs/qwen35-paper.yaml"
SCALE = "configs/scale-8b-14b.yaml"
COMPILED = REPO / "pipelines/compiled/study.yaml"
"""The committed compile of PAPER with the default images (kept current by its own test)."""
TOKEN = "kfp-test-token-5f3a9c"


def submit(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "procsft_kfp.pipelines.submit", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=120,
    )


@pytest.fixture
def closed_port() -> int:
    """A loopback port with nothing listening (connections are refused at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    "command", [["run"], ["schedule", "--cron", "0 0 3 * * 1"]], ids=["run", "schedule"]
)
def test_no_endpoint_is_one_line_and_a_non_zero_exit(command, closed_port):
    host = f"http://127.0.0.1:{closed_port}"
    result = submit(*command, "--config", PAPER, "--host", host)
    assert result.returncode == ExitCode.UNREACHABLE
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"procsft: error: no KFP endpoint reachable at {host}")


def test_host_comes_from_kfp_host(closed_port):
    import os

    env = {**os.environ, "KFP_HOST": f"http://127.0.0.1:{closed_port}"}
    result = submit("run", "--config", PAPER, env=env)
    assert result.returncode == ExitCode.UNREACHABLE and f"127.0.0.1:{closed_port}" in result.stderr


class _Refusing(BaseHTTPRequestHandler):
    """A KFP API that is up (healthz answers) but refuses everything else."""

    def _answer(self) -> None:
        if self.path.endswith("/healthz"):
            status, body = 200, {"multi_user": False}
        else:
            status, body = 500, {"error": "database is down\nsecond line", "code": 13}
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _answer

    def log_message(self, *args) -> None:
        pass


def test_a_refusing_endpoint_is_one_line_and_a_non_zero_exit():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Refusing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        host = f"http://127.0.0.1:{server.server_port}"
        result = submit("run", "--config", PAPER, "--host", host)
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr == (
        f"procsft: error: KFP at {host}: HTTP 500 Internal Server Error: database is down\n"
    )


def test_a_bad_config_is_reported_before_any_network(tmp_path):
    result = submit("run", "--config", str(tmp_path / "missing.yaml"), "--host", "http://x")
    assert result.returncode == 2
    assert result.stderr.strip().endswith("config file not found")


def clean_env(home: Path, **extra: str) -> dict:
    """Return an environment with no KFP settings but `extra`, and a HOME without a kfp
    context file (kfp.Client reads ~/.config/kfp/context.json)."""
    kfp_vars = ("KFP_", "KF_PIPELINES_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(kfp_vars)}
    return {**env, "HOME": str(home), **extra}


def only(items: dict) -> dict:
    assert len(items) == 1, items
    return next(iter(items.values()))


def tasks(package: str) -> dict:
    """Return every task of a compiled package by its DAG's and its own name: {(dag, name):
    spec}; a name is the task's display name (`train`, `rollout-post`), not its id."""
    spec = next(yaml.safe_load_all(package))
    dags = {"root": spec["root"]["dag"]}
    dags |= {name: c["dag"] for name, c in spec["components"].items() if "dag" in c}
    return {
        (dag, task["taskInfo"]["name"]): task
        for dag, body in dags.items()
        for task in body["tasks"].values()
    }


def test_run_uploads_the_study_and_starts_it_in_the_configs_experiment(tmp_path):
    with LoopbackKFPServer() as server:
        result = submit(
            *("run", "--config", PAPER, "--host", server.url, "--run-id", "paper-1"),
            *("--param", "runs_pvc=my-pvc", "--param", "executors=4"),
            env=clean_env(tmp_path),
        )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    pipeline, version, run = only(server.pipelines), only(server.versions), only(server.runs)
    assert pipeline["display_name"] == "procsft-qwen35-paper"
    assert version["pipeline_id"] == pipeline["pipeline_id"]
    uploaded = version["package"]
    assert "name: procsft-qwen35-paper" in uploaded
    assert {"train", "rollout-pre", "rollout-post"} <= {name for _, name in tasks(uploaded)}
    assert uploaded == COMPILED.read_text(), "the upload is the compiled study"
    assert only(server.experiments)["display_name"] == "qwen35-paper"
    assert run["experiment_id"] == only(server.experiments)["experiment_id"]
    assert run["display_name"] == "paper-1"
    assert run["runtime_config"]["parameters"] == {
        "run_id": "paper-1",
        "runs_pvc": "my-pvc",
        "executors": 4,
    }
    assert run["pipeline_version_reference"] == {
        "pipeline_id": pipeline["pipeline_id"],
        "pipeline_version_id": version["pipeline_version_id"],
    }
    assert "pipeline_spec" not in run, "the run names the uploaded version, not a spec copy"
    assert result.stdout == (
        f"run {run['run_id']} of procsft-qwen35-paper version procsft-qwen35-paper in "
        f"experiment qwen35-paper: {server.url}/#/runs/details/{run['run_id']}\n"
    )


def test_a_second_run_adds_a_version_to_the_same_pipeline(tmp_path):
    with LoopbackKFPServer() as server:
        first = submit("run", "--config", PAPER, "--host", server.url, env=clean_env(tmp_path))
        second = submit("run", "--config", PAPER, "--host", server.url, env=clean_env(tmp_path))
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    pipeline = only(server.pipelines)
    assert len(server.calls("POST", "/pipelines/upload")) == 1
    (added,) = server.calls("POST", "/pipelines/upload_version")
    assert added.query["pipelineid"] == [pipeline["pipeline_id"]]
    versions = sorted(server.versions.values(), key=lambda v: v["created_at"])
    assert [v["pipeline_id"] for v in versions] == [pipeline["pipeline_id"]] * 2
    name = versions[1]["display_name"]
    fingerprint = load_config(REPO / PAPER).fingerprint()[:12]
    assert name.startswith(f"{fingerprint}-")  # then the UTC time
    assert versions[1]["package"] == COMPILED.read_text()
    runs = sorted(server.runs.values(), key=lambda r: r["created_at"])
    assert [r["pipeline_version_reference"]["pipeline_version_id"] for r in runs] == [
        v["pipeline_version_id"] for v in versions
    ]
    assert len(server.experiments) == 1, "the experiment is found again, not made twice"
    assert f" version {name} in experiment qwen35-paper: " in second.stdout


def test_no_cache_uploads_a_version_with_no_task_cached(tmp_path):
    with LoopbackKFPServer() as server:
        result = submit(
            "run", "--config", PAPER, "--host", server.url, "--no-cache", env=clean_env(tmp_path)
        )
    assert result.returncode == 0, result.stderr
    committed, uploaded = tasks(COMPILED.read_text()), tasks(only(server.versions)["package"])
    (train,) = [key for key in committed if key[1] == "train"]
    assert committed[train]["cachingOptions"] == {"enableCache": True}
    assert uploaded.keys() == committed.keys()
    for key, task in uploaded.items():
        if "cachingOptions" in committed[key]:
            assert task == {**committed[key], "cachingOptions": {}}, key
        else:
            assert task == committed[key], key


def test_schedule_creates_a_recurring_run_of_an_uploaded_version(tmp_path):
    cron = "0 0 3 * * 1"
    with LoopbackKFPServer() as server:
        result = submit(
            *("schedule", "--config", SCALE, "--host", server.url, "--cron", cron),
            env=clean_env(tmp_path),
        )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    pipeline, version = only(server.pipelines), only(server.versions)
    job, experiment = only(server.recurring_runs), only(server.experiments)
    assert pipeline["display_name"] == "procsft-qwen35-scale"
    assert "name: procsft-qwen35-scale" in version["package"]
    assert experiment["display_name"] == "qwen35-scale"
    assert job["experiment_id"] == experiment["experiment_id"]
    assert job["display_name"] == "qwen35-scale-rerun"
    assert job["trigger"] == {"cron_schedule": {"cron": cron}}
    assert job["max_concurrency"] == 1 and job["no_catchup"] is True and job["mode"] == "ENABLE"
    assert job["pipeline_version_reference"] == {
        "pipeline_id": pipeline["pipeline_id"],
        "pipeline_version_id": version["pipeline_version_id"],
    }
    assert job["runtime_config"]["parameters"] == {"run_id": ""}
    assert not server.runs
    job_id = job["recurring_run_id"]
    assert result.stdout.startswith(f"recurring run {job_id} ({cron}) of procsft-qwen35-scale ")
    assert result.stdout.count("\n") == 1


def test_kfp_token_reaches_the_server_as_a_bearer_token_and_is_never_printed(tmp_path):
    with LoopbackKFPServer() as server:
        result = submit(
            "run", "--config", PAPER, "--host", server.url, env=clean_env(tmp_path, KFP_TOKEN=TOKEN)
        )
    assert result.returncode == 0, result.stderr
    assert {r.headers.get("authorization") for r in server.requests} == {f"Bearer {TOKEN}"}
    assert server.calls("POST", "/runs")
    assert TOKEN not in result.stdout + result.stderr


@pytest.mark.parametrize(
    "status, token, hint",
    [(401, TOKEN, "KFP_TOKEN was refused"), (403, None, "set KFP_TOKEN to a token it accepts")],
    ids=["401-with-token", "403-without-token"],
)
def test_a_refused_token_is_one_line_naming_kfp_token(tmp_path, status, token, hint):
    env = clean_env(tmp_path, **({"KFP_TOKEN": token} if token else {}))
    with LoopbackKFPServer(refuse=status) as server:
        result = submit("run", "--config", PAPER, "--host", server.url, env=env)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"procsft: error: KFP at {server.url}: authentication refused")
    assert result.stderr.endswith(f"; {hint}\n")
    assert "credentials seen" in result.stderr, "the server's message is kept"
    if token:
        assert token not in result.stderr, "the echoed credential is redacted"
    assert not server.calls("POST", "/pipelines/upload"), "refused before any upload"


def test_a_proxy_refusing_the_health_check_is_one_line_at_once(tmp_path):
    """kfp.Client retries a refused health check 5 times, 5 s apart; submit asks first."""
    with LoopbackKFPServer(refuse=401, refuse_healthz=True) as server:
        result = submit(
            "run", "--config", PAPER, "--host", server.url, env=clean_env(tmp_path, KFP_TOKEN=TOKEN)
        )
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert "authentication refused (HTTP 401 Unauthorized" in result.stderr
    assert "KFP_TOKEN" in result.stderr and TOKEN not in result.stderr
    assert [r.path for r in server.requests] == ["/apis/v2beta1/healthz"]
