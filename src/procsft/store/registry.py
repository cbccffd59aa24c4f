"""The model registry: every trained adapter a version of `procsft-<student>-<corpus>`.

Versions are made with `MlflowClient.create_model_version(source=<run artifacts>/adapter)`:
`mlflow.register_model` fails on a plain artifact folder and leaves an empty registered model.
Alias `candidate` marks the newest version; `champion` follows CHAMPION_RULE.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from procsft import plan
from procsft.config import StudyConfig, load_config
from procsft.run_files import BaseWeights, TrainMeta
from procsft.run_folder import RunFolder
from procsft.run_summary import Summary
from procsft.store.redact import redact
from procsft.store.tracking import LoggedRun, client_for

CANDIDATE = "candidate"
CHAMPION = "champion"
CHAMPION_RULE = (
    "the version with the largest lift whose interval lies above zero (lift_ci_low > 0); "
    "ties go to the newest; no such version, no champion"
)
PREFIX = "procsft-"


def model_name(student: str, corpus: str = "procedural") -> str:
    """Return the registered model name of a base model (student) and a corpus."""
    return f"{PREFIX}{_slug(student)}-{_slug(corpus)}"


def register_adapters(
    run_dir: Path,
    logged: LoggedRun,
    config: StudyConfig | None = None,
    *,
    scorer: str | None = None,
) -> list[dict[str, Any]]:
    """Return one record per adapter of the run (name, version, created, aliases), registering
    those not yet registered from their training runs in `logged`, then moving the aliases.

    Lift tags come from `summary.json` rows whose `seeds` name the adapter's post configuration,
    for `scorer` (default: the config's first scorer). `config` defaults to the run's own.
    """
    from mlflow.exceptions import MlflowException

    run = RunFolder(Path(run_dir))
    client = client_for(logged.tracking_uri)
    summary = run.read_summary() or Summary()
    config = config or load_config(run.config)
    scorer = scorer or (config.scorers[0].name if config.scorers else "extractor")
    corpus = config.suite.corpus.stem if config.suite.corpus else "procedural"
    records = []
    for folder, run_id in sorted(logged.training_runs.items()):
        planned = plan.adapter_at(config, folder)
        if planned is None:
            continue  # an adapter the config does not plan (left by an older config)
        adapter, student = folder, planned.student
        recipe, seed = planned.recipe, planned.seed
        meta = run.read_train_meta(adapter) or TrainMeta()
        name = model_name(student, corpus)
        base = meta.base_model or BaseWeights()
        try:
            client.create_registered_model(
                name,
                tags=redact({"base_model": base.model_id or student, "corpus": corpus}),
                description=f"SFT outputs (adapters) of {student} on the {corpus} corpus",
            )
        except MlflowException as err:
            if err.error_code != "RESOURCE_ALREADY_EXISTS":
                raise
        existing = client.search_model_versions(f"name = '{name}' and run_id = '{run_id}'")
        if existing:
            version, created = existing[0].version, False
        else:
            configuration = planned.configuration
            tags = {
                "procsft_run_id": run.root.name,
                "adapter": adapter,
                "configuration": configuration,
                "recipe": recipe,
                "seed": seed,
                "corpus_sha256": meta.corpus.sha256 if meta.corpus else None,
                "base_model": base.model_id,
                "base_revision": base.revision or "none",
                "base_weights_sha256": base.weights_sha256,
                **_lift_tags(summary, configuration, scorer),
            }
            tags = {k: str(v) for k, v in tags.items() if v is not None}
            source = f"{client.get_run(run_id).info.artifact_uri}/adapter"
            made = client.create_model_version(
                name, source=source, run_id=run_id, tags=redact(tags), await_creation_for=0
            )
            version, created = made.version, True
        records.append(
            {
                "name": name,
                "version": int(version),
                "adapter": adapter,
                "run_id": run_id,
                "created": created,
            }
        )
    for name in sorted({r["name"] for r in records}):
        update_aliases(name, tracking_uri=logged.tracking_uri)
    aliases = {name: _aliases(client, name) for name in {r["name"] for r in records}}
    for record in records:
        record["aliases"] = aliases[record["name"]].get(record["version"], [])
    return records


def update_aliases(name: str, *, tracking_uri: str) -> dict[str, int | None]:
    """Return {alias: version} after pointing `candidate` at the newest version and `champion`
    at the one CHAMPION_RULE picks (the alias is removed when none qualifies)."""
    client = client_for(tracking_uri)
    versions = client.search_model_versions(f"name = '{name}'")
    if not versions:
        return {CANDIDATE: None, CHAMPION: None}
    newest = max(versions, key=lambda v: int(v.version))
    client.set_registered_model_alias(name, CANDIDATE, newest.version)
    qualifying = [
        (lift, int(v.version))
        for v in versions
        if (lift := _float(v.tags.get("lift"))) is not None
        and (low := _float(v.tags.get("lift_ci_low"))) is not None
        and low > 0
    ]
    champion = max(qualifying)[1] if qualifying else None
    if champion is not None:
        client.set_registered_model_alias(name, CHAMPION, str(champion))
    elif _has_alias(client, name, CHAMPION):
        client.delete_registered_model_alias(name, CHAMPION)
    return {CANDIDATE: int(newest.version), CHAMPION: champion}


def list_versions(name: str | None = None, *, tracking_uri: str) -> list[dict[str, Any]]:
    """Return every version of `name` (default: of every `procsft-*` model), oldest first, with
    its aliases, tags, source and run id — for `procsft registry list`."""
    client = client_for(tracking_uri)
    if name is None:
        names = [m.name for m in client.search_registered_models(f"name LIKE '{PREFIX}%'")]
    else:
        names = [name]
    rows = []
    for model in sorted(names):
        aliases = _aliases(client, model)
        for v in client.search_model_versions(f"name = '{model}'"):
            rows.append(
                {
                    "name": model,
                    "version": int(v.version),
                    "aliases": aliases.get(int(v.version), []),
                    "tags": dict(v.tags),
                    "source": v.source,
                    "run_id": v.run_id,
                    "created_ms": v.creation_timestamp,
                }
            )
    return sorted(rows, key=lambda r: (r["name"], r["version"]))


def get_version(
    name: str, version: str | int, dst: Path, *, tracking_uri: str
) -> tuple[dict[str, Any], Path]:
    """Return the version record and the local folder its adapter was downloaded to, under
    `dst`; `version` is a number or an alias (`candidate`, `champion`) — `procsft registry get`."""
    import mlflow.artifacts

    client = client_for(tracking_uri)
    text = str(version)
    found = (
        client.get_model_version(name, text)
        if text.isdigit()
        else client.get_model_version_by_alias(name, text)
    )
    Path(dst).mkdir(parents=True, exist_ok=True)
    local = mlflow.artifacts.download_artifacts(
        artifact_uri=found.source, dst_path=str(dst), tracking_uri=tracking_uri
    )
    record = {
        "name": name,
        "version": int(found.version),
        "tags": dict(found.tags),
        "source": found.source,
        "run_id": found.run_id,
    }
    return record, Path(local)


def _lift_tags(summary: Summary, configuration: str, scorer: str) -> dict[str, Any]:
    """Return lift, lift_ci_low, lift_ci_high (and the scorer) of one post configuration from
    the summary's per-seed lift entries, or nothing when none is known."""
    entry = summary.lift_of(configuration, scorer)
    if entry is None:
        return {}
    return {
        "lift": entry.lift,
        "lift_ci_low": entry.ci_low,
        "lift_ci_high": entry.ci_high,
        "lift_scorer": scorer,
    }


def _aliases(client: Any, name: str) -> dict[int, list[str]]:
    """Return {version: [aliases]} of a registered model."""
    out: dict[int, list[str]] = {}
    for alias, version in (client.get_registered_model(name).aliases or {}).items():
        out.setdefault(int(version), []).append(alias)
    return {v: sorted(a) for v, a in out.items()}


def _has_alias(client: Any, name: str, alias: str) -> bool:
    return alias in (client.get_registered_model(name).aliases or {})


def _float(text: str | None) -> float | None:
    try:
        value = float(text) if text is not None else None
    except ValueError:
        return None
    return value if value is not None and math.isfinite(value) else None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "model"
