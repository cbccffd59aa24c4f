"""Both HTTP backends against a real loopback server: wire format, retries, errors, limits."""

from __future__ import annotations

import json
import logging

import pytest

from procsft.errors import ConfigError
from procsft.inference.anthropic_backend import AnthropicGenerator
from procsft.inference.http_engine import Price
from procsft.inference.openai_backend import OpenAIGenerator
from procsft.inference.protocol import GenerationRequest
from procsft.testing.loopback_llm import LoopbackLLMServer

KEY = "sk-test-MARKER-123"
# backend name -> (class, default key variable, path the SDK appends to the base URL)
BACKENDS = {
    "openai": (OpenAIGenerator, "OPENAI_API_KEY", "/v1"),
    "anthropic": (AnthropicGenerator, "ANTHROPIC_API_KEY", ""),
}


@pytest.fixture
def server():
    with LoopbackLLMServer() as running:
        yield running


@pytest.fixture(params=sorted(BACKENDS))
def backend(request, server, monkeypatch):
    """Return a factory of generators of one backend, pointed at the loopback server."""
    cls, key_env, suffix = BACKENDS[request.param]
    monkeypatch.setenv(key_env, KEY)

    def make(**options):
        # Tiny backoff keeps the file fast; tests that need real waits use Retry-After.
        options = {"initial_wait_s": 0.01, "max_wait_s": 0.05, "timeout_s": 5.0, **options}
        return cls("loopback-model", base_url=server.url + suffix, **options)

    make.name, make.key_env = request.param, key_env
    return make


def ask(text: str, **settings) -> GenerationRequest:
    """Return a request with a system prompt and one user message."""
    messages = [{"role": "system", "content": "be brief"}, {"role": "user", "content": text}]
    return GenerationRequest(messages=messages, **{"max_new_tokens": 16, **settings})


def test_round_trip_text_tokens_finish_reason_and_cost(backend, server):
    generator = backend(price=Price(2.0, 10.0))
    assert generator.generate([]) == [] and server.requests == []
    short, cut = generator.generate([ask("hello world"), ask("a b c d e", max_new_tokens=3)])
    assert (short.text, short.finish_reason, short.ok) == ("echo: hello world", "stop", True)
    # 2 system words + 2 user words in, 3 words out.
    assert (short.prompt_tokens, short.completion_tokens) == (4, 3)
    assert short.cost_usd == pytest.approx((4 * 2.0 + 3 * 10.0) / 1e6)
    assert short.latency_s > 0
    assert (cut.text, cut.finish_reason, cut.completion_tokens) == ("echo: a b", "length", 3)
    assert generator.independent_requests is True
    assert generator.path["engine"] == backend.name
    assert generator.path["base_url"] == generator.base_url
    assert generator.path["model_id"] == "loopback-model"


def test_request_carries_key_and_settings_in_each_wire_format(backend, server):
    backend().generate([ask("hi", temperature=0.7, top_p=0.9, seed=5)])
    sent = server.requests[0]
    # The key travels in a header (both installed SDKs send `Authorization: Bearer`).
    bearer = sent.headers.get("authorization", "").removeprefix("Bearer ")
    assert KEY in (bearer, sent.headers.get("x-api-key"))
    assert sent.body["max_tokens"] == 16
    assert (sent.body["temperature"], sent.body["top_p"]) == (0.7, 0.9)
    if backend.name == "openai":
        assert sent.path == "/v1/chat/completions" and sent.body["seed"] == 5
        assert sent.body["messages"][0] == {"role": "system", "content": "be brief"}
    else:
        assert sent.path == "/v1/messages" and sent.body["system"] == "be brief"
        assert [m["role"] for m in sent.body["messages"]] == ["user"]
        backend().generate([ask("hi", temperature=0.3)])
        assert "top_p" not in server.requests[1].body  # sent only when it narrows sampling


def test_retry_after_is_honoured(backend, server):
    server.enqueue("status", 429, {"Retry-After": "1"})
    (out,) = backend().generate([ask("again")])
    assert out.ok and out.text == "echo: again"
    first, second = server.requests
    # The backoff alone is ~0.01 s: the gap comes from the header.
    assert second.at - first.at >= 0.95


@pytest.mark.parametrize("status", [500, 502, 503, 504, 529])
def test_server_errors_are_retried(backend, server, status):
    server.enqueue("status", status)
    (out,) = backend().generate([ask("retry me")])
    assert out.ok and out.text == "echo: retry me"
    assert len(server.requests) == 2


def test_client_errors_are_not_retried(backend, server):
    server.enqueue("status", 400)
    (out,) = backend().generate([ask("bad")])
    assert out.finish_reason == "error" and out.error.startswith("HTTP 400")
    assert len(server.requests) == 1


def test_hung_connection_times_out_and_is_retried(backend, server):
    server.enqueue("hang", 5.0)
    (out,) = backend(timeout_s=0.5).generate([ask("slow")])
    assert out.ok and out.text == "echo: slow"
    assert len(server.requests) == 2
    assert 0.4 < server.requests[1].at - server.requests[0].at < 2.0


def test_failed_requests_become_errors_and_the_rest_succeed(backend, server):
    for _ in range(3):
        server.enqueue("status", 503, match="doomed")
    for _ in range(3):  # malformed bodies are retried like a 5xx: these outlast the retries
        server.enqueue("malformed", match="garbled")
        server.enqueue("malformed", "text", match="noise")
    prompts = ["first", "doomed", "garbled", "noise", "last"]
    outs = backend(max_attempts=3).generate([ask(p) for p in prompts])
    assert [o.text for o in outs] == ["echo: first", "", "", "", "echo: last"]
    assert [o.ok for o in outs] == [True, False, False, False, True]
    for failed in outs[1:4]:
        assert (failed.finish_reason, failed.prompt_tokens, failed.completion_tokens) == (
            "error",
            0,
            0,
        )
    assert outs[1].error.startswith("HTTP 503")
    assert outs[2].error.startswith("unusable response: no ")
    assert outs[3].error == "unusable response: body is not JSON"
    attempts = [sum(p in json.dumps(r.body) for r in server.requests) for p in prompts]
    assert attempts == [1, 3, 3, 3, 1]  # each exhausted after 3 attempts


@pytest.mark.parametrize("fault", [("status", 503), ("malformed",), ("malformed", "text")])
def test_a_malformed_200_is_retried_with_the_backoff_of_a_5xx(backend, server, fault, caplog):
    """A 200 whose body is not JSON or not a generation's shape is a transient fault (a proxy's
    or a server's glitch): asked again after the same backoff as a 503, then decided."""
    caplog.set_level(logging.WARNING)
    server.enqueue(*fault)
    (out,) = backend(initial_wait_s=0.3, max_wait_s=1.0).generate([ask("flaky")])
    assert out.ok and out.text == "echo: flaky"
    first, second = server.requests
    assert 0.3 <= second.at - first.at < 1.5  # exponential backoff's first wait, with jitter
    reason = "HTTP 503" if fault[0] == "status" else "HTTP 200 with a malformed body"
    assert f"attempt 1 of 5 failed ({reason})" in caplog.text


def test_concurrency_limit_is_respected(backend, server):
    server.set_delay(0.2)
    outs = backend(max_concurrency=3).generate([ask(f"n{i}") for i in range(12)])
    assert [o.text for o in outs] == [f"echo: n{i}" for i in range(12)]
    assert server.max_in_flight == 3


def test_missing_key_names_the_variable(backend, monkeypatch):
    monkeypatch.delenv(backend.key_env)
    with pytest.raises(ConfigError, match=backend.key_env):
        backend()
    with pytest.raises(ConfigError, match="PROCSFT_NO_SUCH_KEY"):
        backend(api_key_env="PROCSFT_NO_SUCH_KEY")


def test_key_never_leaks_into_errors_path_or_logs(backend, server, caplog):
    caplog.set_level(logging.DEBUG)
    # The server's error bodies echo the credential headers it received.
    server.enqueue("status", 401, match="denied")
    server.enqueue("status", 503, match="busy")
    server.enqueue("status", 503, match="busy")
    generator = backend(max_attempts=2)
    denied, busy = generator.generate([ask("denied"), ask("busy")])
    assert KEY in json.dumps([r.headers for r in server.requests])  # the key was sent
    assert denied.error.startswith("HTTP 401") and "[REDACTED]" in denied.error
    assert busy.error.startswith("HTTP 503") and "[REDACTED]" in busy.error
    assert "attempt 1 of 2 failed (HTTP 503)" in caplog.text  # logs were captured
    for text in (denied.error, busy.error, json.dumps(generator.path), repr(generator)):
        assert KEY not in text
    assert KEY not in caplog.text
    assert all(KEY not in str(r.args) for r in caplog.records)


def test_a_slow_request_does_not_hold_back_the_others(backend, server):
    server.enqueue("hang", 5.0, match="slow")  # times out, then its retry succeeds
    prompts = ["slow"] + [f"n{i}" for i in range(1, 8)]
    order: list[int] = []
    generator = backend(max_concurrency=2, timeout_s=2.0)
    generator.generate_each([ask(p) for p in prompts], lambda i, _: order.append(i))
    assert order[-1] == 0 and sorted(order) == list(range(8))
    retry = [r.at for r in server.requests if "slow" in json.dumps(r.body)][-1]
    assert all(r.at < retry for r in server.requests if "slow" not in json.dumps(r.body))


def test_nothing_starts_once_admit_says_no_and_what_started_finishes(backend, server):
    seen: list[int] = []
    backend(max_concurrency=1).generate_each(
        [ask(f"n{i}") for i in range(8)], lambda i, g: seen.append(i), admit=lambda: len(seen) < 3
    )
    assert seen == [0, 1, 2] and len(server.requests) == 3


def test_an_error_in_the_callback_stops_the_call(backend, server):
    server.set_delay(0.2)

    def fail(index, generation):
        raise KeyError(index)

    with pytest.raises(KeyError):
        backend(max_concurrency=2).generate_each([ask(f"n{i}") for i in range(8)], fail)
    assert len(server.requests) == 2  # the one in flight was cancelled, nothing new started


def test_chat_template_kwargs_travel_in_the_openai_body_and_the_path(server, monkeypatch):
    """A vLLM server renders the chat template itself: its variables go in the request body
    (`chat_template_kwargs`, as vLLM's server reads them) and into the inference path."""
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    url = f"{server.url}/v1"
    off = {"enable_thinking": False}
    plain = OpenAIGenerator("m", base_url=url, initial_wait_s=0.01)
    thinking_off = OpenAIGenerator("m", base_url=url, chat_template_kwargs=off)
    plain.generate([ask("a")])
    (reply,) = thinking_off.generate([ask("b")])
    assert reply.ok and reply.text == "echo: b"
    first, second = (r.body for r in server.requests)
    assert "chat_template_kwargs" not in first
    assert second["chat_template_kwargs"] == off
    assert second["messages"] == first["messages"][:1] + [{"role": "user", "content": "b"}]
    assert "chat_template_kwargs" not in plain.path
    assert thinking_off.path["chat_template_kwargs"] == off
