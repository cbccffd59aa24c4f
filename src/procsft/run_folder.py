"""The run folder: one fixed place per stage output, and a manifest of what each stage did."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from procsft.atomic import write_text_atomic
from procsft.hashing import sha256_file
from procsft.plan import ADAPTERS_FOLDER, Adapter

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
    def validation(self) -> Path:
        return self.root / "validate"

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
    def plots(self) -> Path:
        return self.root / "plots"

    @property
    def manifest(self) -> Path:
        return self.root / "manifest.json"

    def read_manifest(self) -> dict[str, Any]:
        if self.manifest.exists():
            return json.loads(self.manifest.read_text())
        return {"stages": {stage: {"status": "pending"} for stage in STAGES}}

    def hashes(self, paths: list[Path]) -> dict[str, str]:
        """Return the sha256 of each path, keyed by its path inside the run folder."""
        return {str(p.relative_to(self.root)): sha256_file(p) for p in paths}

    def record_stage(self, stage: str, status: str, outputs: list[Path], **facts: Any) -> None:
        """Record a stage's status, its outputs' sha256 and any facts (counts, seconds)."""
        manifest = self.read_manifest()
        manifest["stages"][stage] = {
            "status": status,
            "outputs": self.hashes(outputs),
            **facts,
        }
        write_text_atomic(self.manifest, json.dumps(manifest, indent=2) + "\n")


def read_json(path: Path) -> Any:
    """Return the JSON in `path`, or None when it is missing or unreadable (an optional file,
    or one a kill may have left behind)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
