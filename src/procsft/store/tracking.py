"""MLflow tracking of a finished run folder: one parent run per study run, one child run per
configuration and per trained adapter, with params, metrics and artifacts read from the folder.

Runs are found again by the tag `procsft.run_id`: logging the same folder twice creates nothing
the second time. Every param, tag and artifact passes through the redaction layer first.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from procsft.errors import ProcsftError
from procsft.store.manifest import RUN_MANIFEST, artifact_files
from procsft.store.redact import copy_redacted, file_has_secret, redact, secret_values

TAG_RUN_ID = "procsft.run_id"
TAG_KIND = "procsft.kind"
"""`study` (the parent), `configuration` or `training`."""
TAG_KEY = "procsft.key"
"""The configuration name, or the adapter folder relative to the run folder."""
TAG_CONTENT = "procsft.content_sha256"
TAG_COMPLETE = "procsft.complete"
PARENT_TAG = "mlflow.parentRunId"
# Summary fields that name a row of a table: they become parts of the metric name.
QUALIFIERS = ("student", "recipe", "condition", "extractor", "scorer", "a", "b")
# Numbers that identify a row or restate a setting: not results, not metrics.
NOT_METRICS = ("train_seed", "resamples", "confidence", "params", "seeds")
# Within one configuration's run, student and recipe are the run's own: left out of names.
ROW_QUALIFIERS = ("condition", "extractor", "scorer")
# Summary sections that are settings, lookups or prose, or too fine-grained for metrics (they
# stay in summary.json, an artifact of the parent run).
STUDY_SKIPPED = ("configurations", "paths", "path_comparisons", "sizes", "settings", "rollout")
STUDY_SKIPPED += ("skill_lift", "headlines", "plots")
_INVALID = re.compile(r"[^\w./\- :]")
_MAX_PARAM = 6000
_BATCH = 100


@dataclass
class LoggedRun:
    """What `log_run` found or wrote in MLflow."""

    status: str
    """`created` (new runs), `updated` (the folder changed since) or `unchanged` (nothing
    written)."""
    tracking_uri: str
    experiment_id: str
    parent_run_id: str
    configuration_runs: dict[str, str] = field(default_factory=dict)
    """Configuration name → child run id."""
    training_runs: dict[str, str] = field(default_factory=dict)
    """Adapter folder (relative to the run folder) → child run id; its adapter is at `adapter/`."""
    created: list[str] = field(default_factory=list)
    """Run ids created by this call."""


def resolve_tracking_uri(storage: Any = None, runs_dir: Path | None = None) -> str:
    """Return the tracking URI: `storage.tracking_uri`, `$MLFLOW_TRACKING_URI`, or a sqlite
    database beside the run folders (`<runs_dir>/_mlflow/mlruns.db`, runs_dir defaulting to
    `storage.runs_dir`) — also what `procsft registry …` should use."""
    configured = getattr(storage, "tracking_uri", None)
    if configured:
        return configured
    if os.environ.get("MLFLOW_TRACKING_URI"):
        return os.environ["MLFLOW_TRACKING_URI"]
    folder = _local_root(Path(runs_dir or getattr(storage, "runs_dir", None) or "runs"))
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'mlruns.db'}"


def tracking_unreachable(tracking_uri: str, timeout_s: float = 5.0) -> str | None:
    """Return why the tracking server at an http(s) URI does not answer, or None when it does
    (any HTTP status is an answer) or the URI is not a server. MLflow's own client retries a
    refused connection for minutes; this check lets a study say so at once and finish."""
    if not tracking_uri.startswith(("http://", "https://")):
        return None
    import urllib.error
    import urllib.request

    try:
        urllib.request.urlopen(f"{tracking_uri.rstrip('/')}/health", timeout=timeout_s).close()
    except urllib.error.HTTPError:
        return None
    except (urllib.error.URLError, OSError, ValueError) as err:
        return str(getattr(err, "reason", err))
    return None


def client_for(tracking_uri: str) -> Any:
    """Return an MlflowClient for `tracking_uri` (tracking and registry), quiet on stdout."""
    os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    # An S3-backed server offers presigned downloads straight from S3, chunk retries backing
    # off for up to a minute; through the server, clients need no route to S3 either.
    os.environ.setdefault("MLFLOW_ENABLE_PROXY_MULTIPART_DOWNLOAD", "false")
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)


def log_run(
    run_dir: Path, *, tracking_uri: str | None = None, experiment: str | None = None
) -> LoggedRun:
    """Return the MLflow runs of a finished run folder, logging them unless an identical
    logging of this folder already completed (then status `unchanged`, nothing written)."""
    run_dir = Path(run_dir).resolve()
    run_id = run_dir.name
    if "'" in run_id or "\\" in run_id:
        raise ProcsftError(f"run folder name {run_id!r} cannot be used in an MLflow filter")
    folder = _Folder.read(run_dir)
    storage = _Storage(folder.config.get("storage") or {})
    uri = tracking_uri or resolve_tracking_uri(storage, run_dir.parent)
    client = client_for(uri)
    name = redact(experiment or storage.experiment or folder.study or run_id)
    experiment_id = _experiment(client, name, uri, run_dir)
    content = folder.content_sha256()
    found = client.search_runs(
        [experiment_id], filter_string=f"tags.`{TAG_RUN_ID}` = '{run_id}'", max_results=5000
    )
    parent = next((r for r in found if r.data.tags.get(TAG_KIND) == "study"), None)
    children = {
        (r.data.tags.get(TAG_KIND), r.data.tags.get(TAG_KEY)): r
        for r in found
        if parent is not None and r.data.tags.get(PARENT_TAG) == parent.info.run_id
    }
    result = LoggedRun("unchanged", uri, experiment_id, "")
    if (
        parent is not None
        and parent.data.tags.get(TAG_COMPLETE) == "true"
        and parent.data.tags.get(TAG_CONTENT) == content
    ):
        result.parent_run_id = parent.info.run_id
        for (kind, key), run in children.items():
            target = result.configuration_runs if kind == "configuration" else result.training_runs
            target[key] = run.info.run_id
        return result

    result.status = "updated" if parent is not None else "created"
    if parent is None:
        tags = _tags(run_id, "study")
        parent = client.create_run(experiment_id, run_name=redact(run_id), tags=tags)
        result.created.append(parent.info.run_id)
    result.parent_run_id = parent_id = parent.info.run_id
    client.set_tag(parent_id, TAG_COMPLETE, "false")  # until every child is logged

    def child(kind: str, key: str) -> Any:
        """Return the existing child run for (kind, key), or a new one under the parent."""
        if (kind, key) in children:
            return children[(kind, key)]
        tags = _tags(run_id, kind, key, parent_id)
        run = client.create_run(experiment_id, run_name=redact(f"{kind}:{key}"), tags=tags)
        result.created.append(run.info.run_id)
        return run

    for configuration, info in sorted(folder.summary.get("configurations", {}).items()):
        run = child("configuration", configuration)
        result.configuration_runs[configuration] = run.info.run_id
        _log_configuration(client, run, folder, configuration, info)
    for adapter, meta in folder.adapters().items():
        run = child("training", adapter)
        result.training_runs[adapter] = run.info.run_id
        _log_training(client, run, run_dir / adapter, adapter, meta)

    _write(client, parent, folder.study_params(), _study_tags(folder))
    _metrics(client, parent_id, folder.study_metrics())
    for path in folder.study_files():
        rel = path.relative_to(run_dir).parent.as_posix()
        _artifact(client, parent_id, path, None if rel == "." else rel)
    client.set_tag(parent_id, TAG_CONTENT, content)
    client.set_tag(parent_id, TAG_COMPLETE, "true")
    client.set_terminated(parent_id)
    return result


def compare_sizes(
    metric: str,
    *,
    tracking_uri: str,
    experiment: str,
    stage: str | None = None,
    run_id: str | None = None,
) -> list[dict[str, Any]]:
    """Return one row per configuration run (size, parameter count, metric value), smallest
    model first, from MLflow's `search_runs` — the trajectory across sizes."""
    client = client_for(tracking_uri)
    found = client.get_experiment_by_name(experiment)
    if found is None:
        return []
    filters = [f"tags.`{TAG_KIND}` = 'configuration'"]
    if stage:
        filters.append(f"params.stage = '{stage}'")
    if run_id:
        filters.append(f"tags.`{TAG_RUN_ID}` = '{run_id}'")
    runs = client.search_runs([found.experiment_id], filter_string=" and ".join(filters))
    rows = [
        {
            "configuration": r.data.tags.get(TAG_KEY),
            "size": r.data.params.get("size"),
            "params": int(r.data.params.get("params") or 0),
            "value": r.data.metrics.get(metric),
            "run_id": r.info.run_id,
        }
        for r in runs
    ]
    return sorted(rows, key=lambda row: (row["params"], row["configuration"] or ""))


class _Storage:
    """The `storage` block of the run's config.yaml, read loosely (the run may be older)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.tracking_uri = data.get("tracking_uri")
        self.experiment = data.get("experiment")


@dataclass
class _Folder:
    """A run folder's JSON and YAML, read once, and what MLflow gets from it."""

    root: Path
    summary: dict[str, Any]
    stages: dict[str, Any]
    agreement: dict[str, Any]
    config: dict[str, Any]

    @classmethod
    def read(cls, root: Path) -> _Folder:
        import yaml

        def load(name: str) -> Any:
            try:
                text = (root / name).read_text(encoding="utf-8")
                return yaml.safe_load(text) if name.endswith(".yaml") else json.loads(text)
            except (OSError, ValueError, yaml.YAMLError):
                return None

        summary, manifest = load("summary.json"), load("manifest.json")
        agreement, config = load("agreement.json"), load("config.yaml")
        return cls(
            root,
            summary if isinstance(summary, dict) else {},
            (manifest or {}).get("stages", {}) if isinstance(manifest, dict) else {},
            agreement if isinstance(agreement, dict) else {},
            config if isinstance(config, dict) else {},
        )

    @property
    def study(self) -> str | None:
        return self.run_info.get("study") or self.config.get("study")

    @property
    def run_info(self) -> dict[str, Any]:
        """Return the run facts of the summary: its `run` block, or (older runs) its top level."""
        info = self.summary.get("run")
        return info if isinstance(info, dict) else self.summary

    def path_of(self, info: dict[str, Any]) -> dict[str, Any]:
        """Return a configuration's inference path: its one fingerprint's entry in `paths`, or
        (older runs) its own `path`; empty when its episodes had several paths."""
        prints = info.get("path_fingerprints") or []
        if len(prints) == 1:
            return (self.summary.get("paths") or {}).get(prints[0]) or {}
        return info.get("path") or {}

    def content_sha256(self) -> str:
        """Return a digest of every file's path and sha256 (the run manifest left out: only its
        time and URIs would differ)."""
        from procsft.store.artifacts import sha256_file

        digest = hashlib.sha256()
        for path in artifact_files(self.root):
            digest.update(
                f"{path.relative_to(self.root).as_posix()}\0{sha256_file(path)}\n".encode()
            )
        return digest.hexdigest()

    def study_files(self) -> list[Path]:
        """Return the files logged on the parent run: everything but the adapters."""
        files = artifact_files(self.root)
        manifest = self.root / RUN_MANIFEST
        adapters = [self.root / a for a in self.adapters()]
        kept = [p for p in files if not any(p.is_relative_to(a) for a in adapters)]
        return kept + ([manifest] if manifest.is_file() else [])

    def study_params(self) -> dict[str, Any]:
        config = {k: v for k, v in self.config.items() if k != "storage"}
        return {
            "run_id": self.root.name,
            "study": self.study,
            "config_fingerprint": self.run_info.get("config_fingerprint"),
            **_flatten_params(config, "config"),
            **_flatten_params(self.summary.get("settings") or {}, "analysis"),
        }

    def study_metrics(self) -> dict[str, float]:
        """Return the run-level numbers: counts, lifts and the prediction check, judge agreement
        and cost, and every stage's facts; per-configuration rows go to the child runs."""
        metrics: dict[str, float] = {}
        for key, value in self.summary.items():
            if key in STUDY_SKIPPED:
                continue
            if key == "run":
                value = {k: v for k, v in value.items() if k != "rollout"}
            metrics |= _numbers(_without_configuration_rows(value), key)
        metrics |= _numbers(self.agreement, "agreement")
        for stage, facts in self.stages.items():
            facts = {k: v for k, v in facts.items() if k not in ("outputs", "inputs")}
            metrics |= _numbers(facts, f"stages.{stage}")
        return metrics

    def configuration_params(self, name: str, info: dict[str, Any]) -> dict[str, Any]:
        students = {s.get("name"): s for s in self.config.get("students", []) or []}
        students |= {s.get("student"): s for s in self.summary.get("sizes", []) or []}
        scalars = {k: v for k, v in info.items() if not isinstance(v, dict | list)}
        prints = info.get("path_fingerprints") or [info.get("path_fingerprint")]
        params = scalars | _flatten_params(self.path_of(info), "path")
        params |= {"configuration": name, "path_fingerprint": ",".join(filter(None, prints))}
        params["params"] = students.get(info.get("student"), {}).get("params")
        return params

    def configuration_metrics(self, name: str) -> dict[str, float]:
        """Return the metrics of one configuration: every summary row that names it (pass rates,
        Δ, per-seed lift, scoring artifact…) and its rollout facts (tokens/s, seconds)."""
        metrics: dict[str, float] = {}
        sections = [(k, v) for k, v in self.summary.items() if k != "configurations"]
        sections += [(k, v) for k, v in self.run_info.items() if isinstance(v, dict)]
        for key, value in sections:
            if isinstance(value, dict) and isinstance(value.get(name), dict):
                metrics |= _numbers(value[name], key)  # e.g. rollout facts keyed by name
            tables = value.items() if isinstance(value, dict) else [("", value)]
            for sub, rows in tables:
                prefix = f"{key}.{sub}" if sub else key
                for row in rows if isinstance(rows, list) else []:
                    if not isinstance(row, dict):
                        continue
                    label = _label(row, ROW_QUALIFIERS)
                    if row.get("configuration") == name:
                        metrics |= _numbers(row, prefix, label=label)
                    for seed in row.get("seeds") or []:
                        if isinstance(seed, dict) and seed.get("configuration") == name:
                            metrics |= _numbers(seed, prefix, label=label)
        return metrics

    def configuration_rows(self, name: str, tmp: Path) -> dict[str, Path]:
        """Return {artifact path: file} of this configuration's episode and verdict rows."""
        out = {}
        for file in ("episodes.jsonl", "verdicts.jsonl"):
            source = self.root / file
            if not source.is_file():
                continue
            target = tmp / "rows" / file
            target.parent.mkdir(parents=True, exist_ok=True)
            with source.open(encoding="utf-8") as reader, target.open("w") as writer:
                for line in reader:
                    try:
                        if json.loads(line).get("configuration") == name:
                            writer.write(line)
                    except (ValueError, AttributeError):
                        continue
            out[f"rows/{file}"] = target
        return out

    def adapters(self) -> dict[str, dict[str, Any]]:
        """Return {adapter folder relative to the run folder: its train_meta.json}."""
        found = {}
        for meta in sorted((self.root / "train").rglob("train_meta.json")):
            rel = meta.parent.relative_to(self.root)
            if any(part.startswith(".") for part in rel.parts):
                continue  # a training still in progress
            try:
                found[rel.as_posix()] = json.loads(meta.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                found[rel.as_posix()] = {}
        return found


def _log_configuration(client: Any, run: Any, folder: _Folder, name: str, info: dict) -> None:
    """Log one configuration's params, metrics and rows (its episodes and verdicts)."""
    _write(client, run, folder.configuration_params(name, info), {})
    _metrics(client, run.info.run_id, folder.configuration_metrics(name))
    with tempfile.TemporaryDirectory(prefix="procsft-mlflow-") as tmp:
        for rel, path in folder.configuration_rows(name, Path(tmp)).items():
            _artifact(client, run.info.run_id, path, str(Path(rel).parent))
    client.set_terminated(run.info.run_id)


def _log_training(client: Any, run: Any, folder: Path, adapter: str, meta: dict) -> None:
    """Log one training's params, metrics, loss curve (step metric `train_loss`) and its
    adapter folder under the artifact path `adapter/` (the registry's source)."""
    params, tags = _training_params(adapter, meta)
    _write(client, run, params, tags)
    _metrics(client, run.info.run_id, _training_metrics(meta))
    if "train_loss" not in run.data.metrics:  # a curve logged twice would double its points
        _log_curve(client, run.info.run_id, meta.get("loss_curve") or [])
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).parent.as_posix()
        _artifact(client, run.info.run_id, path, "adapter" if rel == "." else f"adapter/{rel}")
    client.set_terminated(run.info.run_id)


def _training_params(adapter: str, meta: dict[str, Any]) -> tuple[dict, dict]:
    parts = adapter.split("/")
    base = meta.get("base_model") or {}
    recipe = meta.get("recipe") or {}
    student = parts[1] if len(parts) > 1 else None
    params = {
        "adapter": adapter,
        "student": student,
        "base_model": base.get("model_id"),
        "base_revision": base.get("revision"),
        "base_weights_sha256": base.get("weights_sha256"),
        "corpus_sha256": (meta.get("corpus") or {}).get("sha256"),
        "corpus_rows": (meta.get("corpus") or {}).get("rows"),
        "seed": meta.get("seed"),
        "prompt_version": meta.get("prompt_version"),
        **{k: meta.get(k) for k in ("kind", "device", "dtype", "target_modules")},
        **_flatten_params(recipe, "recipe"),
    }
    tags = {"student": student, "recipe": recipe.get("name"), "seed": meta.get("seed")}
    return params, tags


def _training_metrics(meta: dict[str, Any]) -> dict[str, float]:
    keys = ("steps", "tokens_seen", "train_seconds", "tokens_per_s", "wall_seconds")
    keys += ("peak_rss_mb", "trainable_params", "rows")
    metrics = _numbers({k: meta.get(k) for k in keys}, "train")
    curve = meta.get("loss_curve") or []
    if curve:
        metrics["train.final_loss"] = float(curve[-1][1])
    return metrics


def _study_tags(folder: _Folder) -> dict[str, Any]:
    try:
        manifest = json.loads((folder.root / RUN_MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = {}
    if not manifest:
        from procsft.store.manifest import git_state

        manifest = {"git": git_state()}
    prediction = folder.summary.get("prediction")
    return {
        "study": folder.study,
        "config_fingerprint": folder.run_info.get("config_fingerprint")
        or manifest.get("config_fingerprint"),
        "git_commit": (manifest.get("git") or {}).get("commit"),
        "prediction": prediction.get("status") if isinstance(prediction, dict) else None,
    }


def _tags(run_id: str, kind: str, key: str | None = None, parent: str | None = None) -> dict:
    tags = {TAG_RUN_ID: run_id, TAG_KIND: kind}
    if key is not None:
        tags[TAG_KEY] = key
    if parent is not None:
        tags[PARENT_TAG] = parent
    return redact(tags)


def _write(client: Any, run: Any, params: dict[str, Any], tags: dict[str, Any]) -> None:
    """Log params (only those the run lacks: MLflow params never change) and tags, redacted."""
    from mlflow.entities import Param, RunTag

    secrets = secret_values()
    have = run.data.params  # a new run has none; a found one came with its params
    new = [
        Param(_name(k), redact(_text(v), secrets)[:_MAX_PARAM])
        for k, v in params.items()
        if v is not None and _name(k) not in have
    ]
    tag_list = [
        RunTag(_name(k), redact(_text(v), secrets)) for k, v in tags.items() if v is not None
    ]
    for i in range(0, max(len(new), len(tag_list)), _BATCH):
        client.log_batch(run.info.run_id, params=new[i : i + _BATCH], tags=tag_list[i : i + _BATCH])


def _metrics(client: Any, run_id: str, metrics: dict[str, float]) -> None:
    from mlflow.entities import Metric

    stamp = int(time.time() * 1000)
    batch = [Metric(_name(redact(k)), v, stamp, 0) for k, v in sorted(metrics.items())]
    for i in range(0, len(batch), _BATCH * 10):
        client.log_batch(run_id, metrics=batch[i : i + _BATCH * 10])


def _log_curve(client: Any, run_id: str, curve: list) -> None:
    from mlflow.entities import Metric

    stamp = int(time.time() * 1000)
    batch = [Metric("train_loss", float(loss), stamp, int(step)) for step, loss in curve]
    for i in range(0, len(batch), _BATCH * 10):
        client.log_batch(run_id, metrics=batch[i : i + _BATCH * 10])


def _artifact(client: Any, run_id: str, path: Path, artifact_path: str | None) -> None:
    """Log one file; a text file holding a secret is logged redacted, a binary one refused."""
    if not file_has_secret(path):
        client.log_artifact(run_id, str(path), artifact_path)
        return
    with tempfile.TemporaryDirectory(prefix="procsft-redact-") as tmp:
        clean = Path(tmp) / path.name
        copy_redacted(path, clean)
        client.log_artifact(run_id, str(clean), artifact_path)


def _experiment(client: Any, name: str, uri: str, run_dir: Path) -> str:
    """Return the experiment id of `name`, creating it; a local backend keeps its artifacts in
    `<runs_dir>/_mlflow/artifacts` (MLflow's default would be `./mlruns` of the current folder)."""
    found = client.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    location = None
    if uri.startswith(("sqlite:", "file:", "/")) or "://" not in uri:
        location = (_local_root(run_dir.parent) / "artifacts").as_uri()
    return client.create_experiment(name, artifact_location=location)


def _local_root(runs_dir: Path) -> Path:
    return Path(runs_dir).resolve() / "_mlflow"


def _without_configuration_rows(value: Any) -> Any:
    """Return `value` without the table rows of one configuration (they go to its child)."""
    if isinstance(value, list):
        return [r for r in value if not (isinstance(r, dict) and "configuration" in r)]
    if isinstance(value, dict):
        return {k: _without_configuration_rows(v) for k, v in value.items()}
    return value


def _label(row: dict[str, Any], keys: tuple[str, ...] = QUALIFIERS) -> str:
    return ".".join(str(row[k]) for k in keys if isinstance(row.get(k), str | int))


def _numbers(value: Any, prefix: str, label: str = "") -> dict[str, float]:
    """Return every finite number in `value` as {dotted name: value}; rows of a list are named
    by their qualifier fields (condition, scorer, …), else by position."""
    prefix = f"{prefix}.{label}" if label else prefix
    if isinstance(value, bool) or value is None:
        return {}
    if isinstance(value, int | float):
        return {prefix: float(value)} if math.isfinite(value) else {}
    out: dict[str, float] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            if key not in QUALIFIERS and key not in NOT_METRICS:
                out |= _numbers(item, f"{prefix}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            name = _label(item) if isinstance(item, dict) else ""
            out |= _numbers(item, f"{prefix}.{name or i}")
    return out


def _flatten_params(value: Any, prefix: str) -> dict[str, Any]:
    """Return a nested mapping as {dotted name: scalar}; lists become JSON text."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out |= _flatten_params(item, f"{prefix}.{key}")
        return out
    return {prefix: value}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _name(key: str) -> str:
    """Return `key` as a valid MLflow param/metric name (letters, digits, `_-./: ` only)."""
    return _INVALID.sub("_", key).strip("/") or "_"


def record_failure(
    run_dir: Path, failure: dict[str, Any], *, tracking_uri: str | None = None
) -> str:
    """Return the id of an MLflow run marked FAILED that records why a pipeline run failed."""
    uri = tracking_uri or resolve_tracking_uri(runs_dir=run_dir.parent)
    client = client_for(uri)
    experiment = _experiment(client, "procsft-failures", uri, run_dir)
    run = client.create_run(
        experiment,
        tags=redact(
            {
                "procsft.run_id": run_dir.name,
                "procsft.kind": "failure",
                **{f"failure.{k}": str(v)[:5000] for k, v in failure.items()},
            }
        ),
    )
    client.set_terminated(run.info.run_id, status="FAILED")
    return run.info.run_id
