"""The typed summary of a run (`summary.json`): every number with its n and interval, each
configuration's inference path, and the run's facts. A run file like those of
`procsft.run_files` (permissive, keys kept in their order), read and written by `RunFolder`."""

from __future__ import annotations

from typing import Any

from procsft.run_files import JudgeChecks, Number, RunFile, ShardFacts


class RunInfo(RunFile):
    """The summary's `run` block: the run's identity and what its steps spent."""

    run_id: str | None = None
    study: str | None = None
    config_fingerprint: str | None = None
    episodes: int | None = None
    rollout: dict[str, ShardFacts] = {}
    """Configuration → its shard facts."""
    judge: dict[str, dict[str, Any]] = {}
    """LLM judge → requests, tokens and cost over the whole run."""


class SizeRow(RunFile):
    student: str
    size: str | None = None
    params: int | None = None
    new: bool = False


class ConfigurationInfo(RunFile):
    """The summary's entry for one configuration."""

    student: str | None = None
    size: str | None = None
    stage: str | None = None
    """The phase: `pre`, `post` or `reference`."""
    recipe: str | None = None
    train_seed: int | None = None
    path_fingerprints: list[str] = []
    path_mismatch: list[str] = []


class PassRateRow(RunFile):
    configuration: str
    condition: str | None = None
    scorer: str | None = None
    n: int | None = None
    pass_rate: Number | None = None
    ci_low: Number | None = None
    ci_high: Number | None = None


class DeltaRow(RunFile):
    configuration: str
    scorer: str | None = None
    delta: Number | None = None
    ci_low: Number | None = None
    ci_high: Number | None = None


class LiftSeed(RunFile):
    configuration: str
    train_seed: int | None = None
    lift: Number | None = None
    ci_low: Number | None = None
    ci_high: Number | None = None


class LiftRow(RunFile):
    student: str
    size: str | None = None
    recipe: str | None = None
    scorer: str | None = None
    lift: Number | None = None
    ci_low: Number | None = None
    ci_high: Number | None = None
    seeds: list[LiftSeed] = []

    def entry_of(self, configuration: str) -> LiftSeed | None:
        """Return the per-seed lift of one post configuration, or None."""
        return next((s for s in self.seeds if s.configuration == configuration), None)


class Prediction(RunFile):
    status: str | None = None
    """Whether the paper's prediction held: `held`, `failed`, `inconclusive`…"""


TABLES = ("pass_rates", "procedural_delta", "lift", "skill_lift", "scoring_artifact")
"""Summary sections that are tables of rows (a row of a configuration names it)."""


class Summary(RunFile):
    """`summary.json`: every number of the run's analysis (`procsft.analysis.analyze`)."""

    run: RunInfo = RunInfo()
    settings: dict[str, Any] = {}
    counts: dict[str, Any] = {}
    sizes: list[SizeRow] = []
    configurations: dict[str, ConfigurationInfo] = {}
    paths: dict[str, dict[str, Any]] = {}
    """Path fingerprint → every field of that inference path."""
    path_comparisons: list[dict[str, Any]] = []
    pass_rates: list[PassRateRow] = []
    procedural_delta: list[DeltaRow] = []
    lift: list[LiftRow] = []
    skill_lift: list[dict[str, Any]] = []
    scoring_artifact: dict[str, list[dict[str, Any]]] = {}
    """Part (`by_condition`, …) → rows."""
    judge_agreement: dict[str, Any] | None = None
    judge_checks: JudgeChecks | None = None
    prediction: Prediction | None = None
    plots: list[str] = []
    headlines: list[str] = []

    def path_of(self, configuration: str) -> dict[str, Any]:
        """Return a configuration's inference path; empty when its episodes had several."""
        info = self.configurations.get(configuration)
        prints = info.path_fingerprints if info else []
        return dict(self.paths.get(prints[0]) or {}) if len(prints) == 1 else {}

    def lift_of(self, configuration: str, scorer: str) -> LiftSeed | None:
        """Return the per-seed lift of a post configuration under `scorer`, or None."""
        for row in self.lift:
            entry = row.entry_of(configuration)
            if (row.scorer or scorer) == scorer and entry and "lift" in entry.model_fields_set:
                return entry
        return None

    def rows_of(self, configuration: str) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
        """Return (table, row, numbers) for every table row about `configuration`: its pass
        rates, Δ and scoring-artifact rows (numbers: the row), and its per-seed entries of a
        lift row (numbers: the seed's; the row still names condition and scorer)."""
        out = []
        content = self.as_dict()
        for table in TABLES:
            value = content.get(table)
            parts = value.items() if isinstance(value, dict) else [("", value or [])]
            for part, rows in parts:
                name = f"{table}.{part}" if part else table
                for row in rows if isinstance(rows, list) else []:
                    if not isinstance(row, dict):
                        continue
                    if row.get("configuration") == configuration:
                        out.append((name, row, row))
                    for seed in row.get("seeds") or []:
                        if isinstance(seed, dict) and seed.get("configuration") == configuration:
                            out.append((name, row, seed))
        return out
