"""StudyConfig: the typed study configuration, loaded from YAML, validated and fingerprinted."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from procsft.errors import ConfigError
from procsft.yaml_errors import describe_error

Phase = Literal["pre", "post", "reference"]
"""What a configuration runs: base weights (`pre`), base + SFT adapter (`post`), an API model."""
Condition = Literal["baseline", "curated"]
Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=64)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class Student(_Strict):
    name: Name
    """Identifier used in run folders, episode rows and reports (e.g. `qwen35-2b`)."""
    source: str
    """`embedded:smollm2-135m`, `tiny:qwen3.5`, a local folder (`./…`, `/…`, `~/…`) or a hub id."""
    revision: str | None = None
    """Hub revision (commit or tag) for a hub id; part of the inference path."""
    size: str
    """Size label shown in tables and plots (e.g. `0.8B`)."""
    params: int = Field(gt=0)
    """Parameter count; orders sizes in the trajectory."""
    new: bool = False
    """A size the paper did not measure (e.g. 8B, 14B): its lift tests the paper's prediction."""

    @property
    def is_local_path(self) -> bool:
        return self.source.startswith(("/", "./", "../", "~"))


class Price(_Strict):
    input_per_mtok: float = Field(ge=0)
    """USD per million prompt tokens."""
    output_per_mtok: float = Field(ge=0)
    """USD per million completion tokens."""


class ApiClient(_Strict):
    """How to reach a model behind an HTTP API (references and LLM judges)."""

    base_url: str | None = None
    """Endpoint for OpenAI-compatible servers (OpenRouter, vLLM, Ollama); `null`: the default."""
    api_key_env: str | None = None
    """Environment variable holding the key; `null`: OPENAI_API_KEY or ANTHROPIC_API_KEY."""
    max_concurrency: int = Field(8, ge=1)
    """Requests in flight at once."""
    timeout_s: float = Field(60.0, gt=0)
    """Per-request timeout in seconds; a timed-out request is retried."""
    price: Price | None = None
    """Price table for cost accounting; `null`: cost not reported."""


class Reference(ApiClient):
    name: Name
    """Identifier of the reference configuration (e.g. `haiku-4.5`)."""
    backend: Literal["anthropic", "openai"]
    """API client that serves it: Anthropic Messages, or any OpenAI-compatible endpoint."""
    model: str
    """The provider's model id."""


class Decoding(_Strict):
    temperature: float = Field(0.0, ge=0.0)
    """Sampling temperature; 0 is greedy, so episodes are reproducible."""
    top_p: float = Field(1.0, gt=0.0, le=1.0)
    """Nucleus mass; 1.0 keeps the whole distribution."""
    max_new_tokens: int = Field(256, ge=1)
    """Completion budget in tokens; a five-step solution fits in about 200."""


class Recipe(_Strict):
    name: Name = "lora-r8"
    """Identifier of the SFT recipe; one adapter is trained per recipe × seed."""
    method: Literal["lora", "full"] = "lora"
    """`lora` trains an adapter; `full` updates every weight (tiny models, ablations)."""
    learning_rate: float = Field(2e-4, gt=0)
    """Peak learning rate (LoRA's usual 2e-4)."""
    epochs: float = Field(1.0, gt=0)
    """Passes over the corpus."""
    lora_r: int = Field(8, ge=1)
    """LoRA rank."""
    lora_alpha: int = Field(16, ge=1)
    """LoRA scaling numerator (2 × r by convention)."""
    lora_dropout: float = Field(0.05, ge=0, lt=1)
    """Dropout on the LoRA input."""
    target_modules: Literal["auto", "all-linear"] | list[str] = "auto"
    """`auto` resolves attention and MLP projections from the architecture."""
    max_length: int = Field(1024, ge=16)
    """Longest training sequence in tokens; longer rows fail validation."""
    packing: bool = False
    """Pack several rows into one `max_length` sequence (TRL best-fit packing)."""
    batch_size: int = Field(2, ge=1)
    """Rows per device step."""
    gradient_accumulation: int = Field(1, ge=1)
    """Steps accumulated per optimizer update."""
    scheduler: Literal["linear", "cosine", "constant", "constant_with_warmup"] = "linear"
    """Learning-rate schedule after warmup (TRL's default: linear decay to zero)."""
    warmup_ratio: float = Field(0.0, ge=0, lt=1)
    """Fraction of the optimizer steps spent raising the learning rate from zero."""
    quantization: Literal["none", "4bit"] = "none"
    """`4bit`: QLoRA, the base model in bitsandbytes NF4 (needs CUDA and `method: lora`)."""
    activation_checkpointing: bool | None = None
    """Recompute activations in the backward pass; `null`: on for CUDA, off for CPU."""

    @model_validator(mode="after")
    def _quantize_lora_only(self) -> Recipe:
        if self.quantization != "none" and self.method != "lora":
            raise ValueError("`quantization` needs `method: lora` (QLoRA trains an adapter)")
        return self


class Scorer(ApiClient):
    name: Name
    """Identifier of the scorer in verdict rows and tables."""
    kind: Literal["extractor", "llm"]
    """`extractor`: the deterministic `ANSWER:`-line scorer; `llm`: a judge model."""
    lenient: bool = False
    """Extractor only: also accept prose answers ("The answer is 7"), to measure their effect."""
    backend: Literal["anthropic", "openai", "transformers"] | None = None
    """Client that serves an `llm` judge; `transformers` runs a local model offline."""
    model: str | None = None
    """Judge model: a provider id, or a model source for `transformers`."""
    max_new_tokens: int = Field(256, ge=16)
    """Budget for the judge's rationale and verdict line."""
    verdict: Literal["generated", "forced"] = "generated"
    """`generated`: the judge writes a rationale and a `VERDICT:` line. `forced` (local
    `transformers` judges): the reply is begun with `VERDICT:` and the more likely of PASS and
    FAIL is the verdict, for models too small to follow the grading format."""

    @model_validator(mode="after")
    def _llm_needs_model(self) -> Scorer:
        if self.kind == "llm" and (self.backend is None or self.model is None):
            raise ValueError("an llm scorer needs `backend` and `model`")
        if self.verdict == "forced" and self.backend != "transformers":
            raise ValueError("`verdict: forced` needs a local judge (backend transformers)")
        if self.kind == "extractor" and self.backend is not None:
            raise ValueError("an extractor scorer takes no `backend`")
        return self


class Budget(_Strict):
    max_tokens: int | None = Field(None, ge=1)
    """Most judge tokens (prompt + completion) one run may spend; `null`: no limit."""
    max_usd: float | None = Field(None, gt=0)
    """Most dollars one run may spend on judges (needs `price`); `null`: no limit."""


class Analysis(_Strict):
    resamples: int = Field(2000, ge=100)
    """Bootstrap resamples per interval."""
    confidence: float = Field(0.95, gt=0.5, lt=1)
    """Coverage of every interval."""
    cluster_by_skill: bool = False
    """Resample whole skills instead of tasks (tasks of a skill are not independent)."""
    prediction_band: float = Field(0.05, gt=0)
    """How far a new size's lift may fall from the earlier sizes' mean lift and still count as
    "roughly uniform" in the prediction check."""
    seed: int = 0
    """Seed of the bootstrap."""


class Suite(_Strict):
    seed: int = 0
    """Seed of the task generators; the same seed gives byte-identical suite files."""
    tasks_per_skill: int = Field(5, ge=1)
    """Holdout tasks per skill (the paper: 5)."""
    corpus_per_skill: int = Field(9, ge=0)
    """Corpus tasks per skill (9 × 40 = 360 ≥ the paper's 353 rows)."""
    skills: Path | None = None
    """Your own skills JSONL instead of the built-in suite (with `holdout`)."""
    holdout: Path | None = None
    """Your own holdout JSONL (with `skills`)."""
    corpus: Path | None = None
    """Your own corpus JSONL; optional, needed for SFT."""
    leakage_threshold: float = Field(0.9, gt=0, le=1)
    """Word-3-gram overlap at which a corpus task counts as a copy of a holdout task."""
    max_file_mb: int = Field(256, ge=1)
    """Largest row file accepted, in MB; larger files are refused, not half-read."""

    @model_validator(mode="after")
    def _user_files_together(self) -> Suite:
        if (self.skills is None) != (self.holdout is None):
            raise ValueError("`skills` and `holdout` go together: give both or neither")
        if self.corpus is not None and self.skills is None:
            raise ValueError("`corpus` needs `skills` and `holdout`")
        return self

    @property
    def user_files(self) -> dict[str, Path]:
        files = {"skills": self.skills, "holdout": self.holdout, "corpus": self.corpus}
        return {name: path for name, path in files.items() if path is not None}


class Subset(_Strict):
    skills: list[str] | None = None
    """Only these skill ids (smoke runs); `null` keeps every skill."""
    tasks_per_skill: int | None = Field(None, ge=1)
    """Keep the first N holdout tasks of each skill; `null` keeps all."""
    corpus_rows: int | None = Field(None, ge=1)
    """Train on N corpus rows, taken round-robin over skills; `null` trains on all."""


class Storage(_Strict):
    runs_dir: Path = Path("runs")
    """Where run folders go (relative to the current directory)."""
    cache_dir: Path | None = None
    """Model cache; `null` means `$PROCSFT_CACHE` or `~/.cache/procsft`."""
    artifacts: str | None = None
    """Artifact store for finished runs: `file:///dir` or `s3://bucket/prefix`; `null`: runs_dir."""
    s3_endpoint_url: str | None = None
    """S3 endpoint (SeaweedFS, MinIO); `null`: `$AWS_ENDPOINT_URL_S3`, `$AWS_ENDPOINT_URL`, AWS."""
    s3_region: str | None = None
    """S3 region; `null`: `$AWS_REGION`, `$AWS_DEFAULT_REGION` or `us-east-1`."""
    s3_credentials_file: Path | None = None
    """AWS-style credentials file (`[default]` section); wins over the `AWS_*` variables."""
    tracking_uri: str | None = None
    """MLflow tracking URI; `null`: `$MLFLOW_TRACKING_URI` or `sqlite:///<runs_dir>/_mlflow/…`."""
    experiment: str | None = None
    """MLflow experiment name; `null`: the study name."""


class Compute(_Strict):
    engine: Literal["transformers", "vllm"] = "transformers"
    """Engine for student models; part of the inference path (vLLM needs the GPU image)."""
    device: Literal["auto", "cpu", "cuda"] = "auto"
    """`auto` takes CUDA when present."""
    dtype: Literal["float32", "bfloat16", "float16"] = "float32"
    """Weights and activations; part of the inference path (bf16 flips near-tie tokens)."""
    batch_size: int = Field(8, ge=1)
    """Prompts generated together (left-padded)."""
    merge_adapter: bool = False
    """Post rollouts run the adapter merged into the base weights (PEFT `merge_and_unload`),
    after the adapter probe: faster, and in float32 the greedy text of the unmerged adapter.
    The path records `adapter_merged`. Only on the transformers engine in float32: bf16/fp16
    rounding of merged weights flips near-tie tokens, and vLLM applies adapters itself."""
    threads: int | None = Field(None, ge=1)
    """torch intra-op threads; `null` leaves torch's default."""
    checkpoint_every: int | None = Field(None, ge=1)
    """Training checkpoint interval in optimizer steps; a killed training resumes from the
    last one. `null`: no checkpoints."""

    @model_validator(mode="after")
    def _merge_where_exact(self) -> Compute:
        if self.merge_adapter and (self.engine != "transformers" or self.dtype != "float32"):
            raise ValueError(
                "`merge_adapter` needs engine `transformers` and dtype `float32`, where the "
                "merged model generates what the unmerged adapter does"
            )
        return self


class StudyConfig(_Strict):
    study: Name
    """Name of the study; with the fingerprint it names the run folder."""
    students: list[Student] = Field(min_length=1)
    """Student models, one per size."""
    references: list[Reference] = []
    """Reference (API) models, run in phase `reference`."""
    stages: list[Phase] = ["pre"]
    """The phases to roll out (the key keeps its first name): `pre`, `post`, `reference`."""
    conditions: list[Condition] = ["baseline", "curated"]
    """Prompt conditions; Δ needs both."""
    seeds: list[int] = Field([0], min_length=1)
    """Rollout (and training) seeds; intervals over seeds need more than one."""
    decoding: Decoding = Decoding()
    """Decoding settings shared by every configuration (part of the path)."""
    recipes: list[Recipe] = [Recipe()]
    """SFT recipes; one adapter per student × recipe × seed."""
    scorers: list[Scorer] = [Scorer(name="extractor", kind="extractor")]
    """Scorers applied to every episode."""
    judge_budget: Budget = Budget()
    """Spending cap of the judging stage; reaching it stops the stage cleanly."""
    analysis: Analysis = Analysis()
    """Intervals and the prediction check."""
    suite: Suite = Suite()
    """How the built-in suite is generated."""
    subset: Subset = Subset()
    """Limits for smoke runs."""
    storage: Storage = Storage()
    """Where outputs and caches live (not part of the fingerprint)."""
    compute: Compute = Compute()
    """Device, dtype and batching."""

    @field_validator("students", "references", "recipes", "scorers")
    @classmethod
    def _unique_names(cls, items: list[Any]) -> list[Any]:
        names = [item.name for item in items]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"duplicate name {duplicates[0]!r}")
        return items

    @field_validator("stages", "conditions", "seeds")
    @classmethod
    def _unique_values(cls, items: list[Any]) -> list[Any]:
        if len(set(items)) != len(items):
            raise ValueError("values must be unique")
        if not items:
            raise ValueError("must not be empty")
        return items

    @model_validator(mode="after")
    def _references_for_reference_stage(self) -> StudyConfig:
        if "reference" in self.stages and not self.references:
            raise ValueError("stage `reference` needs at least one entry in `references`")
        return self

    def fingerprint(self) -> str:
        """Return the sha256 of the canonical config, storage excluded (it changes no result).

        `compute.merge_adapter` counts only when set: a config written before it existed keeps
        its fingerprint, so its run folder still resumes."""
        content = self.model_dump(mode="json", exclude={"storage"})
        if not self.compute.merge_adapter:
            del content["compute"]["merge_adapter"]
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def run_id(self) -> str:
        """Return the run folder name: one folder per study content, so a rerun resumes it."""
        return f"{self.study}-{self.fingerprint()[:12]}"


def load_config(path: str | Path) -> StudyConfig:
    """Return the validated StudyConfig in `path`; any mistake is one ConfigError line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot read config: {err}") from None
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ConfigError(f"{path}{where}: invalid YAML: {problem}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of keys at the top level")
    try:
        config = StudyConfig.model_validate(data)
    except ValidationError as err:
        raise ConfigError(describe_error(path, node, err)) from None
    _check_files_exist(path, config)
    return config


def _check_files_exist(path: Path, config: StudyConfig) -> None:
    for name, file in config.suite.user_files.items():
        if not file.expanduser().is_file():
            raise ConfigError(f"{path}: suite.{name}: file not found: {file}")
    for i, student in enumerate(config.students):
        if student.is_local_path and not Path(student.source).expanduser().exists():
            raise ConfigError(
                f"{path}: students[{i}].source: model folder not found: {student.source}"
            )
