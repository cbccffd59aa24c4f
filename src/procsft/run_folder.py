"""The run folder: one fixed place per stage output, and a manifest of what each stage did.

`RunFolder` is the one reader and writer of the run folder's files after its rows: the stage
manifest, train metadata, shard facts, agreement and the summary, each a typed model of
`procsft.run_files`. A file that is missing or unreadable (an optional one, or one a kill left
behind) reads as None."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from procsft.atomic import write_text_atomic
from procsft.hashing import sha256_file
from procsft.plan import ADAPTERS_FOLDER, Adapter
from procsft.run_files import (
    Agreement,
    JudgeChecks,
    RunFile,
    ShardFacts,
    StageManifest,
    StageRecord,
    TrainMeta,
)
from procsft.run_summary import Summary

META_FILE = "train_meta.json"
RUN_MANIFEST = "run_manifest.json"

STAGES = ("suite", "validate", "train", "rollout", "judge", "analyze")


@dataclass(frozen=True)
class RunFolder:
    """`runs/<run-id>/`: config, suite rows, adapters, episodes, verdicts, summary, report."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / "config.yaml"

    @property
    def skills(self) -> Path:
        return self.root / "suite" / "skills.jsonl"

    @property
    def holdout(self) -> Path:
        return self.root / "suite" / "holdout.jsonl"

    @property
    def corpus(self) -> Path:
        return self.root / "suite" / "corpus.jsonl"

    @property
    def suite_manifest(self) -> Path:
        """The suite's counts and hashes, and what a distillation kept and rejected per skill."""
        return self.root / "suite" / "manifest.json"

    @property
    def validation(self) -> Path:
        return self.root / "validate"

    @property
    def judge_checks(self) -> Path:
        """The judge-pass checks (`procsft.analysis.judge_checks`); `.md` beside it."""
        return self.validation / "verdicts.json"

    @property
    def adapters(self) -> Path:
        return self.root / ADAPTERS_FOLDER

    def adapter(self, adapter: Adapter) -> Path:
        """Return the folder of one planned adapter."""
        return self.root / adapter.folder

    @property
    def episodes(self) -> Path:
        return self.root / "episodes.jsonl"

    def shard(self, configuration: str) -> Path:
        """Return the episode rows of one configuration (its name's "/" become "__")."""
        return self.root / "rollout" / f"{configuration.replace('/', '__')}.jsonl"

    @property
    def verdicts(self) -> Path:
        return self.root / "verdicts.jsonl"

    @property
    def agreement(self) -> Path:
        return self.root / "agreement.json"

    @property
    def summary(self) -> Path:
        return self.root / "summary.json"

    @property
    def report(self) -> Path:
        return self.root / "report.md"

    @property
    def report_html(self) -> Path:
        return self.root / "report.html"

    @property
    def episodes_html(self) -> Path:
        """The episode browser every number in the report links into."""
        return self.root / "episodes.html"

    @property
    def plots(self) -> Path:
        return self.root / "plots"

    @property
    def manifest(self) -> Path:
        return self.root / "manifest.json"

    @property
    def run_manifest(self) -> Path:
        return self.root / RUN_MANIFEST

    def shard_facts_file(self, configuration: str) -> Path:
        """Return the facts file beside a configuration's shard (`rollout/<name>.json`)."""
        return self.shard(configuration).with_suffix(".json")

    def train_meta_file(self, adapter: Adapter | Path | str) -> Path:
        """Return the `train_meta.json` of an adapter (or of a folder relative to the run)."""
        folder = self.adapter(adapter) if isinstance(adapter, Adapter) else self.root / adapter
        return folder / META_FILE

    # ------------------------------------------------------------------ typed run files

    def read_stages(self) -> StageManifest:
        """Return the stage manifest (every step pending when there is none yet)."""
        found = _read(self.manifest, StageManifest)
        if found is None:
            return StageManifest(stages={stage: StageRecord(status="pending") for stage in STAGES})
        return found

    def read_manifest(self) -> dict[str, Any]:
        """Return the stage manifest as JSON data (`read_stages` reads it typed)."""
        return self.read_stages().as_dict()

    def stage(self, stage: str) -> StageRecord:
        """Return one step's record (pending when the step has not been recorded)."""
        return self.read_stages().stages.get(stage) or StageRecord(status="pending")

    def hashes(self, paths: list[Path]) -> dict[str, str]:
        """Return the sha256 of each path, keyed by its path inside the run folder."""
        return {str(p.relative_to(self.root)): sha256_file(p) for p in paths}

    def record_stage(self, stage: str, status: str, outputs: list[Path], **facts: Any) -> None:
        """Record a stage's status, its outputs' sha256 and any facts (counts, seconds)."""
        manifest = self.read_stages()
        record = StageRecord(status=status, outputs=self.hashes(outputs), **facts)
        manifest.stages = {**manifest.stages, stage: record}
        write_text_atomic(self.manifest, manifest.to_json())

    def read_train_meta(self, adapter: Adapter | Path | str) -> TrainMeta | None:
        """Return a finished adapter's train metadata, or None."""
        return _read(self.train_meta_file(adapter), TrainMeta)

    def trained_adapters(self) -> dict[str, TrainMeta]:
        """Return {adapter folder relative to the run folder: its train metadata} for every
        finished training under `train/` (one in progress, in a hidden folder, left out); an
        unreadable metadata file reads as empty."""
        found = {}
        for meta in sorted(self.adapters.rglob(META_FILE)):
            rel = meta.parent.relative_to(self.root)
            if not any(part.startswith(".") for part in rel.parts):
                found[rel.as_posix()] = _read(meta, TrainMeta) or TrainMeta()
        return found

    def read_shard_facts(self, configuration: str) -> ShardFacts | None:
        """Return how a configuration's shard was made, or None."""
        return _read(self.shard_facts_file(configuration), ShardFacts)

    def write_shard_facts(self, configuration: str, facts: ShardFacts) -> None:
        """Write a shard's facts (before the shard itself appears: a shard always has them)."""
        write_text_atomic(self.shard_facts_file(configuration), facts.to_json(newline=False))

    def read_agreement(self) -> Agreement | None:
        return _read(self.agreement, Agreement)

    def write_agreement(self, agreement: Agreement | dict[str, Any]) -> None:
        agreement = Agreement.model_validate(agreement)
        write_text_atomic(self.agreement, agreement.to_json(allow_nan=False))

    def read_judge_checks(self) -> JudgeChecks | None:
        return _read(self.judge_checks, JudgeChecks)

    def write_judge_checks(self, checks: JudgeChecks, markdown: str) -> None:
        """Write `validate/verdicts.json` (every check and expectation) and the `.md` a reader
        opens (what failed)."""
        write_text_atomic(self.judge_checks, checks.to_json(allow_nan=False))
        write_text_atomic(self.judge_checks.with_suffix(".md"), markdown)

    def read_summary(self) -> Summary | None:
        return _read(self.summary, Summary)

    def write_summary(self, summary: Summary | dict[str, Any]) -> None:
        summary = Summary.model_validate(summary)
        write_text_atomic(self.summary, summary.to_json(allow_nan=False))

    def write_config(self, data: dict[str, Any]) -> None:
        """Write `config.yaml`: a validated config, every default filled in, as plain data."""
        import yaml

        write_text_atomic(self.config, yaml.safe_dump(data, sort_keys=False))

    def read_config_data(self) -> dict[str, Any]:
        """Return the run's `config.yaml` as plain data, read loosely (the run may predate
        today's config keys); empty when unreadable."""
        import yaml

        try:
            data = yaml.safe_load(self.config.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            return {}
        return data if isinstance(data, dict) else {}

    def read_run_manifest(self) -> dict[str, Any] | None:
        """Return `run_manifest.json` (`procsft.store.manifest`), or None."""
        data = read_json(self.run_manifest)
        return data if isinstance(data, dict) else None


F = TypeVar("F", bound=RunFile)


def _read(path: Path, model: type[F]) -> F | None:
    """Return the file at `path` as `model`, or None when it is missing, unreadable or not
    that file's shape."""
    from pydantic import ValidationError

    data = read_json(path)
    if not isinstance(data, dict):
        return None
    try:
        return model.model_validate(data)
    except ValidationError:
        return None


def read_json(path: Path) -> Any:
    """Return the JSON in `path`, or None when it is missing or unreadable (an optional file,
    or one a kill may have left behind)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
