"""Submitting without a reachable KFP endpoint, or to one that refuses, is one line on stderr
and a non-zero exit, never a traceback."""

import json
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PAPER = "configs/qwen35-paper.yaml"


def submit(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipelines.submit", *args],
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
    assert result.returncode == 3
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"procsft: error: no KFP endpoint reachable at {host}")


def test_host_comes_from_kfp_host(closed_port):
    import os

    env = {**os.environ, "KFP_HOST": f"http://127.0.0.1:{closed_port}"}
    result = submit("run", "--config", PAPER, env=env)
    assert result.returncode == 3 and f"127.0.0.1:{closed_port}" in result.stderr


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
