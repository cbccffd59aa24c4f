"""The typed files of a run folder after its rows: stage records (`manifest.json`), train
metadata (`train_meta.json`), shard facts (`rollout/<configuration>.json`), agreement
(`agreement.json`) and judge checks (`validate/verdicts.json`); the summary (`summary.json`)
is in `procsft.run_summary`.

`RunFolder` reads and writes them; everything else (tracking, the registry, the run manifest,
reuse, the KFP components) reads their fields by attribute, so a renamed field fails loudly
instead of silently dropping a metric. Each model is permissive (`extra="allow"`): the files
are open-ended (a stage records whatever facts it has), older run folders still load, and a
file read and written again keeps every key, in its order. Numbers are `int | float` so an
integer stays an integer: a file written through a model has the bytes it had before.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, PrivateAttr, model_serializer, model_validator

Number = int | float


class RunFile(BaseModel):
    """A JSON file of the run folder: known fields typed, any others kept as they are."""

    model_config = ConfigDict(extra="allow", use_attribute_docstrings=True)
    _order: tuple[str, ...] = PrivateAttr(default=())
    """The keys in the order the file (or the writer) gave them."""

    @model_validator(mode="wrap")
    @classmethod
    def _remember_order(cls, data: Any, handler: Any) -> Any:
        model = handler(data)
        if isinstance(data, dict):
            model._order = tuple(data)
        return model

    @model_serializer(mode="wrap")
    def _in_given_order(self, handler: Any) -> Any:
        """Dump the keys in their given order (declared fields first only for new ones)."""
        dumped = handler(self)
        if not isinstance(dumped, dict) or not self._order:
            return dumped
        first = [key for key in self._order if key in dumped]
        return {key: dumped[key] for key in first + [k for k in dumped if k not in first]}

    def as_dict(self) -> dict[str, Any]:
        """Return the file's content: the fields it was given (unset defaults left out)."""
        return self.model_dump(mode="json", exclude_unset=True)

    def to_json(self, *, newline: bool = True, allow_nan: bool = True) -> str:
        """Return the file's text: JSON indented by two, as every run file is written."""
        text = json.dumps(self.as_dict(), indent=2, allow_nan=allow_nan)
        return text + "\n" if newline else text

    @property
    def facts(self) -> dict[str, Any]:
        """Return the fields no model declares (a stage's own facts)."""
        return dict(self.model_extra or {})


# ------------------------------------------------------------------------- shard facts


class ShardFacts(RunFile):
    """`rollout/<configuration>.json`: how one configuration's shard was made."""

    planned: int | None = None
    """Episodes planned for the configuration."""
    generated: int | None = None
    """Episodes in the shard (counted from its rows, whichever process made them)."""
    completion_tokens: int | None = None
    """Tokens generated over the shard's rows."""
    seconds: Number | None = None
    """Wall time of this process's generation."""
    tokens_per_second: Number | None = None
    """This process's generation speed."""
    cost_usd: Number | None = None
    """What an API reference's rows cost (None for local models)."""
    generated_now: int | None = None
    """Episodes this process generated (0 for a shard copied from another run)."""
    reuse_key: str | None = None
    """Digest of everything the rows follow from (`procsft.reuse.rollout_key`)."""
    reused_from: str | None = None
    """The run folder the shard was copied from, when it was."""
    adapter_merged: bool | None = None
    """Whether the adapter ran merged into the base weights (`compute.merge_adapter`); None
    for a configuration without an adapter."""


# ----------------------------------------------------------------------- stage records


class AdapterFacts(RunFile):
    """One adapter's line in the `train` stage record."""

    steps: int | None = None
    tokens_per_second: Number | None = None
    wall_seconds: Number | None = None
    final_loss: Number | None = None
    reused_from: str | None = None
    trained_now: bool | None = None


class StageRecord(RunFile):
    """`manifest.json`'s `stages.<step>`: the step's status, its outputs' sha256 and its own
    facts (`facts`: counts, seconds, per-configuration or per-judge tables)."""

    status: str = "pending"
    """`pending`, `done` or `failed`."""
    outputs: dict[str, str] = {}
    """Output path inside the run folder → sha256."""

    @property
    def shards(self) -> dict[str, ShardFacts]:
        """Return the rollout record's facts per configuration (empty for other steps)."""
        table = self.facts.get("configurations") or {}
        return {name: ShardFacts.model_validate(facts) for name, facts in table.items()}

    @property
    def adapters(self) -> dict[str, AdapterFacts]:
        """Return the train record's facts per adapter configuration (empty for other steps)."""
        table = self.facts.get("adapters") or {}
        return {name: AdapterFacts.model_validate(facts) for name, facts in table.items()}

    @property
    def inputs(self) -> dict[str, str]:
        """Return the sha256 of the inputs the step checked (validation), by path."""
        return dict(self.facts.get("inputs") or {})


class StageManifest(RunFile):
    """`manifest.json`: one record per step."""

    stages: dict[str, StageRecord] = {}


# ----------------------------------------------------------------------- train metadata


class BaseWeights(RunFile):
    model_id: str | None = None
    revision: str | None = None
    weights_sha256: str | None = None


class CorpusFacts(RunFile):
    sha256: str | None = None
    """sha256 of the corpus rows trained on, in order."""
    rows: int | None = None
    """Corpus rows given to training (failed demonstrations among them)."""


TRAINING_INPUTS = ("base_model", "corpus", "prompt_version", "recipe", "seed")
"""The train metadata fields that determine the weights (`procsft.train.training_inputs`)."""


class TrainMeta(RunFile):
    """`train/<student>/<recipe>/seed<n>/train_meta.json`: what an adapter was trained from,
    and what its training measured."""

    base_model: BaseWeights | None = None
    corpus: CorpusFacts | None = None
    prompt_version: str | None = None
    recipe: dict[str, Any] | None = None
    """The recipe as the config gave it (`procsft.config.Recipe`)."""
    seed: int | None = None
    kind: str | None = None
    """`adapter` (LoRA) or `model` (full fine-tuning)."""
    device: str | None = None
    dtype: str | None = None
    target_modules: list[str] | None = None
    trainable_params: int | None = None
    rows_trained: int | None = None
    """Passing corpus rows trained on."""
    steps: int | None = None
    """Optimizer steps."""
    resumed_from_step: int | None = None
    tokens_seen: int | None = None
    train_seconds: Number | None = None
    tokens_per_second: Number | None = None
    """Training speed: tokens seen by this process per second of training."""
    wall_seconds: Number | None = None
    peak_rss_mb: Number | None = None
    memory_returned: bool | None = None
    """Whether freed memory went back to the system during training (`procsft.memory`)."""
    final_loss: Number | None = None
    loss_curve: list[list[Number]] | None = None
    """[optimizer step, training loss] per logged step."""
    versions: dict[str, str | None] | None = None
    """Versions of the libraries the weights depend on (`procsft.versions.TRAINING`)."""
    python: str | None = None

    def same_inputs(self, inputs: dict[str, Any]) -> bool:
        """Return whether this training was made from exactly `inputs` (training_inputs)."""
        recorded = self.as_dict()
        return {key: recorded.get(key) for key in inputs} == inputs

    @property
    def loss(self) -> list[tuple[int, float]]:
        """Return the loss curve as (step, loss) pairs."""
        return [(int(step), float(loss)) for step, loss in self.loss_curve or []]


# ---------------------------------------------------------------------------- agreement


class AgreementPair(RunFile):
    a: str
    b: str
    n: int | None = None
    kappa: Number | None = None
    agreement: Number | None = None
    table: dict[str, int] | None = None
    delta_shift: dict[str, Number] | None = None
    """Configuration → Δ under `b` minus Δ under `a`."""
    max_abs_delta_shift: Number | None = None


class Agreement(RunFile):
    """`agreement.json`: every pair of scorers on the same episodes."""

    pairs: list[AgreementPair] = []
    krippendorff_alpha: Number | None = None
    scoring_artifact: list[dict[str, Any]] = []


# ------------------------------------------------------------------------- judge checks


class JudgeCheck(RunFile):
    """One judge-pass check of a scorer × configuration × condition (or a skill)."""

    check: str
    scorer: str | None = None
    configuration: str | None = None
    condition: str | None = None
    skill: str | None = None
    extractor: str | None = None
    n: int | None = None
    observed: Number | None = None
    """The share, rate, κ or count; None when undefined (it then passes)."""
    expected: str | None = None
    success: bool = True


class JudgeChecks(RunFile):
    """`validate/verdicts.json` and the summary's `judge_checks`: failed checks first."""

    mode: str = "warn"
    success: bool = True
    checked: int = 0
    failed: int = 0
    checks: list[JudgeCheck] = []
    expectations: list[dict[str, Any]] = []
    """Great Expectations' outcome per expectation (validate/verdicts.json only)."""

    @property
    def failures(self) -> list[JudgeCheck]:
        return [c for c in self.checks if not c.success]
