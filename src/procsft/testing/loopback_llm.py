"""A real loopback HTTP server that speaks the OpenAI Chat Completions and Anthropic Messages
wire formats, with scripted faults, so HTTP backends are tested through real sockets.

    with LoopbackLLMServer() as server:
        server.enqueue("status", 429, {"Retry-After": "1"})
        OpenAIGenerator("m", base_url=f"{server.url}/v1").generate(...)
        assert len(server.requests) == 2

The reply is "echo: " + the last user message, cut to `max_tokens` words (then the finish
reason is "length"); tokens are counted as whitespace-separated words. Every request is kept in
`.requests` (path, lower-case headers, JSON body, arrival time); `.max_in_flight` is the most
requests handled at once; `.set_delay(s)` holds each successful reply `s` seconds.

Faults are consumed one per request, in order, by the first request they match:
  ("status", code[, headers])  reply `code` with an error body that echoes the request's
                               credential headers (a careless proxy: tests prove redaction)
  ("hang", seconds)            send nothing for `seconds`, then drop the connection
  ("malformed",)               reply 200 with a JSON body of the wrong shape
  ("malformed", "text")        reply 200 with a body that is not JSON at all
`enqueue(..., match="x")` applies a fault only to a request whose last user message contains
"x", so one request of a concurrent call can be made to fail deterministically.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    headers: dict[str, str]
    """Header names in lower case."""
    body: Any
    at: float
    """`time.monotonic()` when the request arrived."""


@dataclass
class _Fault:
    kind: str
    args: tuple[Any, ...]
    match: str | None


class LoopbackLLMServer:
    """A context manager running the fake LLM server on 127.0.0.1 in a background thread."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self.max_in_flight = 0
        self._in_flight = 0
        self._delay_s = 0.0
        self._responder: Callable[[str], str] | None = None
        self._faults: list[_Fault] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        """Return the server's root URL (OpenAI clients need `url + "/v1"`)."""
        assert self._httpd is not None, "the server is not running"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def enqueue(self, kind: str, *args: Any, match: str | None = None) -> None:
        """Return nothing; queue a fault for the next request (that contains `match`)."""
        if kind not in ("status", "hang", "malformed"):
            raise ValueError(f"unknown fault {kind!r}")
        with self._lock:
            self._faults.append(_Fault(kind, args, match))

    def respond_with(self, responder: Callable[[str], str]) -> None:
        """Return nothing; reply `responder(last user message)` instead of the echo (a
        scripted model, e.g. a judge that grades)."""
        self._responder = responder

    def set_delay(self, seconds: float) -> None:
        """Return nothing; make every successful reply wait `seconds` first."""
        self._delay_s = seconds

    def __enter__(self) -> LoopbackLLMServer:
        handler = type("Handler", (_Handler,), {"server_state": self})
        self._httpd = _Server(("127.0.0.1", 0), handler)
        # A short poll interval keeps shutdown (once per test) from costing half a second.
        serve = self._httpd.serve_forever
        threading.Thread(target=serve, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closing.set()  # wakes hung handlers so shutdown does not wait for them
        assert self._httpd is not None
        self._httpd.shutdown()
        self._httpd.server_close()

    def _arrive(self, request: RecordedRequest) -> _Fault | None:
        with self._lock:
            self.requests.append(request)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            text = last_user_text(request.body)
            for i, fault in enumerate(self._faults):
                if fault.match is None or fault.match in text:
                    return self._faults.pop(i)
        return None

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default (5) refuses bursts of concurrent connections

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Return nothing; a client that gave up on a request (a timeout, a cancelled
        stream) resets its connection, which is expected here, not a server fault."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, the body waits for the client's
    # delayed ACK (40 ms on Linux) and every reply would be that much slower than asked.
    disable_nagle_algorithm = True
    server_state: LoopbackLLMServer

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep pytest output clean

    def do_POST(self) -> None:
        state = self.server_state
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw.decode(errors="replace")
        headers = {k.lower(): v for k, v in self.headers.items()}
        fault = state._arrive(RecordedRequest(self.path, headers, body, time.monotonic()))
        try:
            response = self._respond(state, fault, headers, body)
        finally:
            # Leave before replying: once the client has the reply it may send the next
            # request, which must not count as overlapping with this one.
            state._leave()
        if response is None:
            self.close_connection = True  # a hang ends with the connection dropped
        else:
            self._send(*response)

    def _respond(self, state, fault, headers, body) -> tuple[int, str, dict[str, str]] | None:
        """Return the status, body and extra headers to send (`None`: send nothing)."""
        if fault is not None and fault.kind == "hang":
            state._closing.wait(fault.args[0])
            return None
        if fault is not None and fault.kind == "status":
            code, extra = fault.args[0], (fault.args[1] if len(fault.args) > 1 else {})
            seen = {k: headers.get(k) for k in ("authorization", "x-api-key")}
            error = {"type": "api_error", "message": f"fault {code}; credentials seen: {seen}"}
            return code, json.dumps({"type": "error", "error": error}), extra
        if fault is not None and fault.kind == "malformed":
            if fault.args == ("text",):
                return 200, "<html>upstream exploded</html>", {}
            return 200, json.dumps({"unexpected": "shape"}), {}
        if self.path.rstrip("/") not in ("/v1/chat/completions", "/v1/messages"):
            return 404, json.dumps({"error": {"message": "no such route"}}), {}
        if state._delay_s:
            state._closing.wait(state._delay_s)
        return 200, json.dumps(_reply(self.path, body, state._responder)), {}

    def _send(self, code: int, text: str, headers: dict[str, str]) -> None:
        data = text.encode()
        try:
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            self.close_connection = True  # the client gave up (timed out) first


def last_user_text(body: Any) -> str:
    """Return the text of the last user message in a request body ("" when there is none)."""
    messages = body.get("messages", []) if isinstance(body, dict) else []
    users = [m.get("content") for m in messages if m.get("role") == "user"]
    return users[-1] if users and isinstance(users[-1], str) else ""


def _reply(path: str, body: dict[str, Any], responder: Callable[[str], str] | None) -> dict:
    """Return the success response JSON for the wire format that `path` names."""
    text = last_user_text(body)
    # A responder's newlines matter (a judge's verdict line), so split on spaces only.
    words = responder(text).split(" ") if responder else ("echo: " + text).split()
    limit = body.get("max_tokens") or body.get("max_completion_tokens") or len(words)
    text = " ".join(words[:limit])
    prompt_tokens = sum(len(str(m.get("content", "")).split()) for m in body["messages"])
    prompt_tokens += len(str(body.get("system", "")).split())
    completion_tokens = min(len(words), limit)
    truncated = len(words) > limit
    if path.endswith("/chat/completions"):
        return {
            "id": "chatcmpl-loopback",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "length" if truncated else "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }
    return {
        "id": "msg_loopback",
        "type": "message",
        "role": "assistant",
        "model": body["model"],
        "content": [{"type": "text", "text": text}],
        "stop_reason": "max_tokens" if truncated else "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": prompt_tokens, "output_tokens": completion_tokens},
    }
