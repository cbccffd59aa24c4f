"""The sections of a study config that stand on their own: the suite it builds, the subset a
smoke run keeps, where outputs go, the compute it runs on, and how analysis runs.
`procsft.config` joins them with the model, decoding and scoring sections into `StudyConfig`
(import them from there)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from procsft.config_base import Strict
from procsft.judge_limits import JudgeCheckMode, JudgeLimits


class Suite(Strict):
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


class Subset(Strict):
    skills: list[str] | None = None
    """Only these skill ids (smoke runs); `null` keeps every skill."""
    tasks_per_skill: int | None = Field(None, ge=1)
    """Keep the first N holdout tasks of each skill; `null` keeps all."""
    corpus_rows: int | None = Field(None, ge=1)
    """Train on N corpus rows, taken round-robin over skills; `null` trains on all."""


class Storage(Strict):
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


class Compute(Strict):
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

    added_later = frozenset({"merge_adapter"})

    @model_validator(mode="after")
    def _merge_where_exact(self) -> Compute:
        if self.merge_adapter and (self.engine != "transformers" or self.dtype != "float32"):
            raise ValueError(
                "`merge_adapter` needs engine `transformers` and dtype `float32`, where the "
                "merged model generates what the unmerged adapter does"
            )
        return self


class Analysis(Strict):
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
    judge_checks: JudgeCheckMode = "warn"
    """A failed judge-pass check: `warn` marks every number it affects, `fail` stops the run
    (exit 1, one line naming the check). `warn` by default: the embedded judge fails them."""
    judge_limits: JudgeLimits = JudgeLimits()
    """The limits of the judge-pass checks (`procsft.judge_limits`)."""

    added_later = frozenset({"judge_checks", "judge_limits"})
