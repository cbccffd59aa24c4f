"""vLLM's OpenAI-compatible server, through OpenAIGenerator, answers as the offline engine does."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from procsft.inference.models import default_cache_dir
from tests_vllm.conftest import REQUESTS

SERVED_NAME = "smollm2"
KEY_ENV = "PROCSFT_TEST_VLLM_KEY"
KEY = "test-token-not-secret"
READY_TIMEOUT_S = 120


def free_port() -> int:
    """Return a TCP port that is free on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ready(base_url: str) -> bool:
    """Return whether the server lists its models to a client holding the key."""
    request = urllib.request.Request(
        f"{base_url}/models", headers={"Authorization": f"Bearer {KEY}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def stop(process: subprocess.Popen) -> None:
    """Stop the server and its engine process: SIGTERM, then SIGKILL after 5 s."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@pytest.fixture(scope="module")
def server(smollm2, tmp_path_factory):
    """Return the base URL of a vLLM server for SmolLM2 in fp32 that requires `KEY`."""
    folder = tmp_path_factory.mktemp("vllm-server")
    port = free_port()
    env = {
        **os.environ,
        "VLLM_CPU_KVCACHE_SPACE": "1",
        "VLLM_CPU_NUM_OF_RESERVED_CPU": "0",
        "VLLM_CACHE_ROOT": os.environ.get("VLLM_CACHE_ROOT", str(default_cache_dir() / "vllm")),
        "TMPDIR": str(folder),  # the server leaves IPC sockets behind in the temp dir
    }
    command = [
        sys.executable, "-m", "vllm.entrypoints.openai.api_server",
        "--model", smollm2.load_from, "--served-model-name", SERVED_NAME,
        "--host", "127.0.0.1", "--port", str(port), "--api-key", KEY,
        "--dtype", "float32", "--max-model-len", "1024", "--enforce-eager",
    ]  # fmt: skip
    log_path = folder / "server.log"
    with log_path.open("wb") as log:
        # A session of its own, so a kill reaches the engine process the server spawns too.
        process = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not ready(base_url):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log_path.read_text(errors="replace")[-3000:]
                pytest.fail(f"vLLM server not ready (exit code {process.poll()}):\n{tail}")
            time.sleep(0.5)
        yield base_url
    finally:
        stop(process)


def test_openai_generator_on_vllm_server_equals_offline_engine(server, vllm_base_out, monkeypatch):
    from procsft.inference.openai_backend import OpenAIGenerator

    monkeypatch.setenv(KEY_ENV, KEY)
    client = OpenAIGenerator(model=SERVED_NAME, base_url=server, api_key_env=KEY_ENV)
    remote = client.generate(REQUESTS)
    assert [g.error for g in remote] == [None] * len(REQUESTS)
    assert [(g.text, g.finish_reason) for g in remote] == [
        (g.text, g.finish_reason) for g in vllm_base_out
    ]
    # The server counts the end-of-turn token in the completion, as the offline engine does.
    assert [(g.prompt_tokens, g.completion_tokens) for g in remote] == [
        (g.prompt_tokens, g.completion_tokens) for g in vllm_base_out
    ]
