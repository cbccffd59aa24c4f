"""What MLflow gets from a run folder: params, metrics, tags and files of the parent run, of
each configuration's run and of each training's run, read through `RunFolder`'s typed files.

Each fact is logged once: a configuration's rollout facts go to its own run (not again under
the parent's `stages.rollout`), a training's facts to its training run (not again under
`stages.train`), a judge's spend under the parent's `run.judge` (not again under
`stages.judge.judges`).

A configuration's numbers under one scorer (pass rate per condition, Δ, lift) go to a scoring
run of their own (one per configuration and scorer), with the same metric names for every
size and scorer (`pass_rate.<condition>`, `delta`, `lift`, each with its interval as
`<name>.ci_low`/`<name>.ci_high`), so that MLflow's compare view can chart them by size.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from procsft.hashing import sha256_file
from procsft.run_files import Agreement, StageRecord, TrainMeta
from procsft.run_folder import RUN_MANIFEST, RunFolder
from procsft.run_summary import Summary

# Summary fields that name a row of a table: they become parts of the metric name.
QUALIFIERS = ("student", "recipe", "condition", "extractor", "scorer", "a", "b")
# Numbers that identify a row or restate a setting: not results, not metrics.
NOT_METRICS = ("train_seed", "resamples", "confidence", "params", "seeds")
# Within one configuration's run, student and recipe are the run's own: left out of names.
ROW_QUALIFIERS = ("condition", "extractor", "scorer")
# Summary sections that are settings, lookups or prose, or too fine-grained for metrics (they
# stay in summary.json, an artifact of the parent run).
STUDY_SKIPPED = ("configurations", "paths", "path_comparisons", "sizes", "settings")
STUDY_SKIPPED += ("skill_lift", "headlines", "plots")
# Stage facts logged elsewhere already (see the module docstring), and what is not a fact.
STAGE_SKIPPED = {
    "rollout": ("configurations",),
    "train": ("adapters",),
    "judge": ("judges",),
}
STAGE_NOT_FACTS = ("outputs", "inputs", "status")
# Summary tables whose rows hold one scorer's numbers of one configuration → the row's field
# that names its headline number: a scoring run's metric, the row's other numbers beside it.
SCORED_TABLES = {"pass_rates": "pass_rate", "procedural_delta": "delta", "lift": "lift"}
# What says which configuration and scorer a scoring run is about: params a chart can plot or
# filter by (`params` is the student's parameter count, a number to order sizes by).
SCORING_PARAMS = ("configuration", "student", "size", "params", "stage", "recipe", "train_seed")
TRAINING_METRICS = ("steps", "tokens_seen", "train_seconds", "tokens_per_second")
TRAINING_METRICS += ("wall_seconds", "peak_rss_mb", "trainable_params", "rows_trained")


@dataclass
class RunFacts:
    """A run folder's typed files, read once."""

    run: RunFolder
    summary: Summary
    stages: dict[str, StageRecord]
    agreement: Agreement | None
    config: dict[str, Any]
    adapters: dict[str, TrainMeta]
    """Adapter folder relative to the run folder → its train metadata."""

    @classmethod
    def read(cls, root: Path) -> RunFacts:
        run = RunFolder(root)
        return cls(
            run,
            run.read_summary() or Summary(),
            run.read_stages().stages if run.manifest.exists() else {},
            run.read_agreement(),
            run.read_config_data(),
            run.trained_adapters(),
        )

    @property
    def root(self) -> Path:
        return self.run.root

    @property
    def study(self) -> str | None:
        return self.summary.run.study or self.config.get("study")

    def content_sha256(self) -> str:
        """Return a digest of every file's path and sha256 (the run manifest left out: only its
        time and URIs would differ)."""
        from procsft.store.manifest import artifact_files

        digest = hashlib.sha256()
        for path in artifact_files(self.root):
            digest.update(
                f"{path.relative_to(self.root).as_posix()}\0{sha256_file(path)}\n".encode()
            )
        return digest.hexdigest()

    def study_files(self) -> list[Path]:
        """Return the files logged on the parent run: everything but the adapters."""
        from procsft.store.manifest import artifact_files

        files = artifact_files(self.root)
        manifest = self.root / RUN_MANIFEST
        adapters = [self.root / a for a in self.adapters]
        kept = [p for p in files if not any(p.is_relative_to(a) for a in adapters)]
        return kept + ([manifest] if manifest.is_file() else [])

    def study_params(self) -> dict[str, Any]:
        config = {k: v for k, v in self.config.items() if k != "storage"}
        return {
            "run_id": self.root.name,
            "study": self.study,
            "config_fingerprint": self.summary.run.config_fingerprint,
            **flatten_params(config, "config"),
            **flatten_params(self.summary.settings, "analysis"),
        }

    def study_tags(self) -> dict[str, Any]:
        manifest = self.run.read_run_manifest() or {}
        if not manifest:
            from procsft.store.manifest import git_state

            manifest = {"git": git_state()}
        prediction = self.summary.prediction
        return {
            "study": self.study,
            "config_fingerprint": self.summary.run.config_fingerprint
            or manifest.get("config_fingerprint"),
            "git_commit": (manifest.get("git") or {}).get("commit"),
            "prediction": prediction.status if prediction else None,
        }

    def study_metrics(self) -> dict[str, float]:
        """Return the run-level numbers: counts, lifts and the prediction check, judge agreement
        and cost, and every stage's own facts; per-configuration rows go to the child runs."""
        metrics: dict[str, float] = {}
        content = self.summary.as_dict()
        for key, value in content.items():
            if key in STUDY_SKIPPED:
                continue
            if key == "run":
                value = {k: v for k, v in value.items() if k != "rollout"}
            metrics |= numbers(_without_configuration_rows(value), key)
        # Judge agreement reaches MLflow once, as the summary's `judge_agreement` (agreement.json
        # itself is an artifact of the parent run).
        for stage, record in self.stages.items():
            skipped = STAGE_SKIPPED.get(stage, ())
            facts = {k: v for k, v in record.facts.items() if k not in skipped + STAGE_NOT_FACTS}
            metrics |= numbers(facts, f"stages.{stage}")
        return metrics

    def configuration_params(self, name: str) -> dict[str, Any]:
        info = self.summary.configurations[name]
        students = {s.get("name"): s for s in self.config.get("students", []) or []}
        params_of = {n: s.get("params") for n, s in students.items()}
        params_of |= {s.student: s.params for s in self.summary.sizes}
        scalars = {k: v for k, v in info.as_dict().items() if not isinstance(v, dict | list)}
        params = scalars | flatten_params(self.summary.path_of(name), "path")
        params |= {"configuration": name, "path_fingerprint": ",".join(info.path_fingerprints)}
        params["params"] = params_of.get(info.student)
        return params

    def configuration_metrics(self, name: str) -> dict[str, float]:
        """Return the metrics of one configuration: every summary row that names it (pass rates,
        Δ, per-seed lift, scoring artifact…) and its rollout facts (tokens/s, seconds)."""
        metrics: dict[str, float] = {}
        shard = self.summary.run.rollout.get(name)
        if shard is not None:
            metrics |= numbers(shard.as_dict(), "rollout")
        for table, row, values in self.summary.rows_of(name):
            if table not in SCORED_TABLES or not row.get("scorer"):
                metrics |= numbers(values, table, label=row_label(row, ROW_QUALIFIERS))
        return metrics

    def scorers_of(self, name: str) -> list[str]:
        """Return the scorers with numbers about configuration `name`, in name order."""
        rows = self.summary.rows_of(name)
        return sorted({row["scorer"] for table, row, _ in rows if _scored(table, row)})

    def scoring_params(self, name: str, scorer: str) -> dict[str, Any]:
        """Return the params of the scoring run of `name` under `scorer`: which configuration,
        size and scorer it is about (its path and rollout facts stay on the configuration's)."""
        params = self.configuration_params(name)
        return {key: params.get(key) for key in SCORING_PARAMS} | {"scorer": scorer}

    def scoring_metrics(self, name: str, scorer: str) -> dict[str, float]:
        """Return configuration `name`'s numbers under `scorer`: `pass_rate.<condition>`,
        `delta` and `lift` (a post configuration's lift over its pre), each row's other numbers
        as `<headline>.<field>` (`delta.ci_low`, `pass_rate.curated.n`…)."""
        metrics: dict[str, float] = {}
        for table, row, values in self.summary.rows_of(name):
            if not _scored(table, row) or row["scorer"] != scorer:
                continue
            headline = SCORED_TABLES[table]
            prefix = ".".join([headline] + ([row["condition"]] if row.get("condition") else []))
            rest = {k: v for k, v in values.items() if k != headline}
            metrics |= numbers(values.get(headline), prefix) | numbers(rest, prefix)
        return metrics

    def configuration_rows(self, name: str, tmp: Path) -> dict[str, Path]:
        """Return {artifact path: file} of this configuration's episode and verdict rows."""
        out = {}
        for source in (self.run.episodes, self.run.verdicts):
            if not source.is_file():
                continue
            target = tmp / "rows" / source.name
            target.parent.mkdir(parents=True, exist_ok=True)
            with source.open(encoding="utf-8") as reader, target.open("w") as writer:
                for line in reader:
                    try:
                        if json.loads(line).get("configuration") == name:
                            writer.write(line)
                    except (ValueError, AttributeError):
                        continue
            out[f"rows/{source.name}"] = target
        return out


def _scored(table: str, row: dict[str, Any]) -> bool:
    return table in SCORED_TABLES and isinstance(row.get("scorer"), str) and bool(row["scorer"])


def training_params(adapter: str, meta: TrainMeta) -> tuple[dict, dict]:
    """Return the params and tags of one training's run."""
    parts = adapter.split("/")
    base = meta.base_model
    recipe = meta.recipe or {}
    student = parts[1] if len(parts) > 1 else None
    params = {
        "adapter": adapter,
        "student": student,
        "base_model": base.model_id if base else None,
        "base_revision": base.revision if base else None,
        "base_weights_sha256": base.weights_sha256 if base else None,
        "corpus_sha256": meta.corpus.sha256 if meta.corpus else None,
        "corpus_rows": meta.corpus.rows if meta.corpus else None,
        "seed": meta.seed,
        "prompt_version": meta.prompt_version,
        "kind": meta.kind,
        "device": meta.device,
        "dtype": meta.dtype,
        "target_modules": meta.target_modules,
        **flatten_params(recipe, "recipe"),
    }
    tags = {"student": student, "recipe": recipe.get("name"), "seed": meta.seed}
    return params, tags


def training_metrics(meta: TrainMeta) -> dict[str, float]:
    """Return a training's measured facts (`train.<field>`, as train_meta.json names them)."""
    metrics = numbers({key: getattr(meta, key) for key in TRAINING_METRICS}, "train")
    if meta.loss:
        metrics["train.final_loss"] = meta.loss[-1][1]
    return metrics


def _without_configuration_rows(value: Any) -> Any:
    """Return `value` without the table rows of one configuration (they go to its child)."""
    if isinstance(value, list):
        return [r for r in value if not (isinstance(r, dict) and "configuration" in r)]
    if isinstance(value, dict):
        return {k: _without_configuration_rows(v) for k, v in value.items()}
    return value


def row_label(row: dict[str, Any], keys: tuple[str, ...] = QUALIFIERS) -> str:
    return ".".join(str(row[k]) for k in keys if isinstance(row.get(k), str | int))


def numbers(value: Any, prefix: str, label: str = "") -> dict[str, float]:
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
                out |= numbers(item, f"{prefix}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            name = row_label(item) if isinstance(item, dict) else ""
            out |= numbers(item, f"{prefix}.{name or i}")
    return out


def flatten_params(value: Any, prefix: str) -> dict[str, Any]:
    """Return a nested mapping as {dotted name: scalar}; lists become JSON text."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out |= flatten_params(item, f"{prefix}.{key}")
        return out
    return {prefix: value}
