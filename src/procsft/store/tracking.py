"""MLflow tracking of a finished run folder: one parent run per study run, one child run per
configuration, per configuration and scorer (a scoring run: its pass rates, Δ and lift under
the same metric names for every size) and per trained adapter, with params, metrics and
artifacts read from the folder. Scoring runs sit beside the configuration runs, not under them:
MLflow's runs table then lists a filter's scoring runs (`params.scorer = 'judge'`) under the one
parent, ready to compare.

The experiment is marked as a machine-learning one (`mlflow.experimentKind`), not a GenAI one:
its runs, not traces, are what it holds.

Runs are found again by the tag `procsft.run_id`: logging the same folder twice creates nothing
the second time. Every param, tag and artifact passes through the redaction layer first.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from procsft.errors import ProcsftError
from procsft.run_files import TrainMeta
from procsft.store.mlflow_facts import RunFacts, training_metrics, training_params
from procsft.store.redact import copy_redacted, file_has_secret, redact, secret_values

TAG_RUN_ID = "procsft.run_id"
TAG_KIND = "procsft.kind"
"""`study` (the parent), `configuration`, `scoring` or `training`."""
TAG_KEY = "procsft.key"
"""The configuration name, `<configuration>|<scorer>` for a scoring run, or the adapter folder
relative to the run folder."""
TAG_CONTENT = "procsft.content_sha256"
TAG_COMPLETE = "procsft.complete"
TAG_LAYOUT = "procsft.layout"
LAYOUT = "2"
"""How runs are laid out; a folder logged under an older layout (no scoring runs) is logged
again into the same runs."""
PARENT_TAG = "mlflow.parentRunId"
EXPERIMENT_KIND_TAG = "mlflow.experimentKind"
EXPERIMENT_KIND = "custom_model_development"
"""What MLflow's UI calls a "Machine learning" experiment (training runs, not GenAI traces)."""
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
    scoring_runs: dict[tuple[str, str], str] = field(default_factory=dict)
    """(configuration name, scorer) → child run id."""
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
    folder = RunFacts.read(run_dir)
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
        and parent.data.tags.get(TAG_LAYOUT) == LAYOUT
    ):
        result.parent_run_id = parent.info.run_id
        for (kind, key), run in children.items():
            if kind == "scoring":
                configuration, _, scorer = key.rpartition("|")
                result.scoring_runs[(configuration, scorer)] = run.info.run_id
            else:
                target = result.training_runs if kind == "training" else result.configuration_runs
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

    for configuration in sorted(folder.summary.configurations):
        run = child("configuration", configuration)
        result.configuration_runs[configuration] = run.info.run_id
        for scorer in folder.scorers_of(configuration):
            scoring = child("scoring", f"{configuration}|{scorer}")
            result.scoring_runs[(configuration, scorer)] = scoring.info.run_id
            _write(client, scoring, folder.scoring_params(configuration, scorer), {})
            _metrics(client, scoring.info.run_id, folder.scoring_metrics(configuration, scorer))
            client.set_terminated(scoring.info.run_id)
        _log_configuration(client, run, folder, configuration)
    for adapter, meta in folder.adapters.items():
        run = child("training", adapter)
        result.training_runs[adapter] = run.info.run_id
        _log_training(client, run, run_dir / adapter, adapter, meta)

    _write(client, parent, folder.study_params(), folder.study_tags())
    _metrics(client, parent_id, folder.study_metrics())
    for path in folder.study_files():
        rel = path.relative_to(run_dir).parent.as_posix()
        _artifact(client, parent_id, path, None if rel == "." else rel)
    client.set_tag(parent_id, TAG_CONTENT, content)
    client.set_tag(parent_id, TAG_LAYOUT, LAYOUT)
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
    scorer: str | None = None,
) -> list[dict[str, Any]]:
    """Return one row per configuration run (size, parameter count, metric value), smallest
    model first, from MLflow's `search_runs` — the trajectory across sizes. With `scorer`, the
    rows are the scoring runs of that scorer (`pass_rate.<condition>`, `delta`, `lift`…)."""
    client = client_for(tracking_uri)
    found = client.get_experiment_by_name(experiment)
    if found is None:
        return []
    filters = [f"tags.`{TAG_KIND}` = '{'scoring' if scorer else 'configuration'}'"]
    if scorer:
        filters.append(f"params.scorer = '{scorer}'")
    if stage:
        filters.append(f"params.stage = '{stage}'")
    if run_id:
        filters.append(f"tags.`{TAG_RUN_ID}` = '{run_id}'")
    runs = client.search_runs([found.experiment_id], filter_string=" and ".join(filters))
    rows = [
        {
            "configuration": r.data.params.get("configuration") or r.data.tags.get(TAG_KEY),
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


def _log_configuration(client: Any, run: Any, folder: RunFacts, name: str) -> None:
    """Log one configuration's params, metrics and rows (its episodes and verdicts)."""
    _write(client, run, folder.configuration_params(name), {})
    _metrics(client, run.info.run_id, folder.configuration_metrics(name))
    with tempfile.TemporaryDirectory(prefix="procsft-mlflow-") as tmp:
        for rel, path in folder.configuration_rows(name, Path(tmp)).items():
            _artifact(client, run.info.run_id, path, str(Path(rel).parent))
    client.set_terminated(run.info.run_id)


def _log_training(client: Any, run: Any, folder: Path, adapter: str, meta: TrainMeta) -> None:
    """Log one training's params, metrics, loss curve (step metric `train_loss`) and its
    adapter folder under the artifact path `adapter/` (the registry's source)."""
    params, tags = training_params(adapter, meta)
    _write(client, run, params, tags)
    _metrics(client, run.info.run_id, training_metrics(meta))
    if "train_loss" not in run.data.metrics:  # a curve logged twice would double its points
        _log_curve(client, run.info.run_id, meta.loss)
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).parent.as_posix()
        _artifact(client, run.info.run_id, path, "adapter" if rel == "." else f"adapter/{rel}")
    client.set_terminated(run.info.run_id)


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


def _log_curve(client: Any, run_id: str, curve: list[tuple[int, float]]) -> None:
    from mlflow.entities import Metric

    stamp = int(time.time() * 1000)
    batch = [Metric("train_loss", loss, stamp, step) for step, loss in curve]
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
    """Return the experiment id of `name`, creating it, marked a machine-learning experiment
    (also one made before that mark); a local backend keeps its artifacts in
    `<runs_dir>/_mlflow/artifacts` (MLflow's default would be `./mlruns` of the current folder)."""
    found = client.get_experiment_by_name(name)
    if found is not None:
        if found.tags.get(EXPERIMENT_KIND_TAG) != EXPERIMENT_KIND:
            client.set_experiment_tag(found.experiment_id, EXPERIMENT_KIND_TAG, EXPERIMENT_KIND)
        return found.experiment_id
    location = None
    if uri.startswith(("sqlite:", "file:", "/")) or "://" not in uri:
        location = (_local_root(run_dir.parent) / "artifacts").as_uri()
    tags = {EXPERIMENT_KIND_TAG: EXPERIMENT_KIND}
    return client.create_experiment(name, artifact_location=location, tags=tags)


def _local_root(runs_dir: Path) -> Path:
    return Path(runs_dir).resolve() / "_mlflow"


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
