"""A real loopback HTTP server that speaks the KFP v2beta1 REST API the `kfp.Client` calls to
submit a pipeline, with in-memory state, so submission is tested through real sockets.

    with LoopbackKFPServer() as server:
        kfp.Client(host=server.url).upload_pipeline("study.yaml", "procsft-x")
        assert server.calls("POST", "/pipelines/upload")

Routes: GET healthz; GET pipelines (a list with a display_name EQUALS filter), POST
pipelines/upload and pipelines/upload_version (multipart, as the client sends them), GET
pipelines/{id}/versions; GET/POST experiments; POST runs; POST recurringruns. Anything else
is a 404 in the server's error shape ({"error", "code", "message"}). Like the real server, an
upload under a pipeline name that exists, or a version name that exists in its pipeline, is a
409, and a run needs an existing experiment and pipeline version.

Every request is kept in `.requests` (method, path, query, lower-case headers, body: the JSON
object, or for a multipart upload a dict of its form fields' text, e.g. "uploadfile"). State
is in `.pipelines`, `.versions`, `.experiments`, `.runs`, `.recurring_runs` (dicts by id, in
the JSON shapes the server returns; a version also keeps its uploaded YAML as "package").

`LoopbackKFPServer(refuse=401)` answers every route but healthz with that status, its body
echoing the credentials it saw (a careless proxy: tests prove redaction); `refuse_healthz=True`
refuses healthz too (an auth proxy in front of KFP). Ids and timestamps come from a counter,
so a test sees the same ones each run.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import re
import sys
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

API = "/apis/v2beta1"
_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    """The path without the query string."""
    query: dict[str, list[str]]
    headers: dict[str, str]
    """Header names in lower case."""
    body: Any


class ApiError(Exception):
    """A refusal in the server's shape: HTTP `status`, gRPC `code`, `message`."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class LoopbackKFPServer:
    """A context manager running the fake KFP API on 127.0.0.1 in a background thread."""

    def __init__(self, refuse: int | None = None, refuse_healthz: bool = False) -> None:
        self.refuse, self.refuse_healthz = refuse, refuse_healthz
        self.requests: list[RecordedRequest] = []
        self.pipelines: dict[str, dict] = {}
        self.versions: dict[str, dict] = {}
        self.experiments: dict[str, dict] = {}
        self.runs: dict[str, dict] = {}
        self.recurring_runs: dict[str, dict] = {}
        self._count = 0
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        """Return the server's root URL, the `host` of a `kfp.Client`."""
        assert self._httpd is not None, "the server is not running"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def calls(self, method: str, path: str) -> list[RecordedRequest]:
        """Return the requests made with `method` to `path` (relative to /apis/v2beta1)."""
        return [r for r in self.requests if r.method == method and r.path == API + path]

    def __enter__(self) -> LoopbackKFPServer:
        handler = type("Handler", (_Handler,), {"server_state": self})
        self._httpd = _Server(("127.0.0.1", 0), handler)
        # A short poll interval keeps shutdown (once per test) from costing half a second.
        serve = self._httpd.serve_forever
        threading.Thread(target=serve, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._httpd is not None
        self._httpd.shutdown()
        self._httpd.server_close()

    def _new(self) -> tuple[str, str]:
        """Return a fresh id and a creation time one second after the previous one."""
        self._count += 1
        at = _EPOCH + timedelta(seconds=self._count)
        return str(uuid.UUID(int=self._count)), at.strftime("%Y-%m-%dT%H:%M:%SZ")

    def handle(self, request: RecordedRequest) -> tuple[int, dict]:
        """Return the status and JSON body answering `request`."""
        with self._lock:
            self.requests.append(request)
            healthz = request.path == f"{API}/healthz"
            if healthz and not self.refuse_healthz:
                return 200, {"multi_user": False, "pipeline_store": "database"}
            if self.refuse is not None:
                seen = request.headers.get("authorization")
                return self.refuse, _error(self.refuse, 16, f"denied; credentials seen: {seen}")
            try:
                return 200, self._route(request)
            except ApiError as err:
                return err.status, _error(err.status, err.code, err.message)

    def _route(self, request: RecordedRequest) -> dict:
        method, path, query, body = request.method, request.path, request.query, request.body
        arg = {key: values[-1] for key, values in query.items()}
        if (method, path) == ("GET", f"{API}/pipelines"):
            return _listing("pipelines", self.pipelines.values(), arg)
        if (method, path) == ("POST", f"{API}/pipelines/upload"):
            return self._upload(body, arg)
        if (method, path) == ("POST", f"{API}/pipelines/upload_version"):
            return self._upload_version(body, arg)
        if method == "GET" and (found := re.fullmatch(f"{API}/pipelines/([^/]+)/versions", path)):
            mine = [v for v in self.versions.values() if v["pipeline_id"] == found[1]]
            if arg.get("sort_by") == "created_at desc":
                mine.sort(key=lambda v: v["created_at"], reverse=True)
            return _listing("pipeline_versions", mine, arg)
        if (method, path) == ("GET", f"{API}/experiments"):
            return _listing("experiments", self.experiments.values(), arg)
        if (method, path) == ("POST", f"{API}/experiments"):
            if _named(self.experiments.values(), body.get("display_name")):
                raise ApiError(409, 6, "experiment already exists")
            experiment_id, at = self._new()
            made = {**body, "experiment_id": experiment_id, "created_at": at}
            self.experiments[experiment_id] = {**made, "storage_state": "AVAILABLE"}
            return self.experiments[experiment_id]
        if (method, path) == ("POST", f"{API}/runs"):
            self._check_source(body)
            run_id, at = self._new()
            self.runs[run_id] = {**body, "run_id": run_id, "created_at": at, "state": "PENDING"}
            return self.runs[run_id]
        if (method, path) == ("POST", f"{API}/recurringruns"):
            self._check_source(body)
            job_id, at = self._new()
            made = {**body, "recurring_run_id": job_id, "created_at": at, "status": "ENABLED"}
            self.recurring_runs[job_id] = made
            return made
        raise ApiError(404, 5, f"no route {method} {path}")

    def _upload(self, form: dict[str, str], arg: dict[str, str]) -> dict:
        name = arg.get("name") or arg.get("display_name") or ""
        if "uploadfile" not in form or not name:
            raise ApiError(400, 3, "an upload needs an uploadfile and a name")
        if _named(self.pipelines.values(), name):
            raise ApiError(409, 6, f"pipeline {name} already exists")
        pipeline_id, at = self._new()
        self.pipelines[pipeline_id] = {
            "pipeline_id": pipeline_id,
            "name": name,
            "display_name": arg.get("display_name") or name,
            "description": arg.get("description", ""),
            "created_at": at,
            **({"namespace": arg["namespace"]} if arg.get("namespace") else {}),
        }
        self._add_version(pipeline_id, name, form["uploadfile"])  # as the server: first version
        return self.pipelines[pipeline_id]

    def _upload_version(self, form: dict[str, str], arg: dict[str, str]) -> dict:
        pipeline_id, name = arg.get("pipelineid", ""), arg.get("name") or arg.get("display_name")
        if pipeline_id not in self.pipelines:
            raise ApiError(404, 5, f"pipeline {pipeline_id!r} not found")
        if "uploadfile" not in form or not name:
            raise ApiError(400, 3, "a version upload needs an uploadfile and a name")
        mine = [v for v in self.versions.values() if v["pipeline_id"] == pipeline_id]
        if _named(mine, name):
            raise ApiError(409, 6, f"pipeline version {name} already exists")
        return self._add_version(pipeline_id, name, form["uploadfile"])

    def _add_version(self, pipeline_id: str, name: str, package: str) -> dict:
        version_id, at = self._new()
        self.versions[version_id] = {
            "pipeline_id": pipeline_id,
            "pipeline_version_id": version_id,
            "name": name,
            "display_name": name,
            "created_at": at,
            "package": package,  # not in the server's shape: what was uploaded, for tests
        }
        return {k: v for k, v in self.versions[version_id].items() if k != "package"}

    def _check_source(self, body: dict) -> None:
        if body.get("experiment_id") not in self.experiments:
            raise ApiError(404, 5, f"experiment {body.get('experiment_id')!r} not found")
        ref = body.get("pipeline_version_reference") or {}
        version = self.versions.get(ref.get("pipeline_version_id"))
        if version is None or version["pipeline_id"] != ref.get("pipeline_id"):
            raise ApiError(404, 5, f"pipeline version {ref} not found")


def _error(status: int, code: int, message: str) -> dict:
    return {"error": message, "code": code, "message": message, "details": []}


def _named(items: Any, name: Any) -> bool:
    return any(item.get("display_name") == name for item in items)


def _listing(key: str, items: Any, arg: dict[str, str]) -> dict:
    """Return a list response: `items` that pass the request's filter and namespace (the
    server omits an empty list, as proto JSON does)."""
    found = [{k: v for k, v in item.items() if k != "package"} for item in items]
    if "namespace" in arg and key != "pipeline_versions":
        found = [item for item in found if item.get("namespace", "") == arg["namespace"]]
    for predicate in json.loads(arg.get("filter") or "{}").get("predicates", []):
        if predicate.get("operation") not in ("EQUALS", 1):
            raise ApiError(400, 3, f"unsupported filter {predicate}")
        wanted = predicate.get("stringValue", predicate.get("string_value"))
        found = [item for item in found if item.get(predicate["key"]) == wanted]
    found = found[: int(arg.get("page_size") or 0) or None]
    return {key: found, "total_size": len(found)} if found else {}


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Return nothing; a client that closed its kept-alive connection is not a fault."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # the client keeps connections alive between calls
    disable_nagle_algorithm = True  # headers and body go out in two writes
    server_state: LoopbackKFPServer

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep pytest output clean

    def _answer(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        parts = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        body = _parse(headers.get("content-type", ""), raw)
        request = RecordedRequest(self.command, parts.path, parse_qs(parts.query), headers, body)
        status, answer = self.server_state.handle(request)
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_DELETE = _answer


def _parse(content_type: str, raw: bytes) -> Any:
    """Return a request body: JSON as its value, multipart form data as {field: text}."""
    if content_type.startswith("multipart/form-data"):
        head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + raw)
        fields = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            fields[name] = part.get_payload(decode=True).decode()
        return fields
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")
