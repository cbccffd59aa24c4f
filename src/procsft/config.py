"""StudyConfig: the typed study configuration, loaded from YAML, validated and fingerprinted."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from procsft.config_base import Name, TemplateKwargs
from procsft.config_base import Strict as _Strict
from procsft.config_sections import Analysis, Compute, Storage, Subset, Suite
from procsft.errors import ConfigError
from procsft.yaml_errors import describe_error

Phase = Literal["pre", "post", "reference"]
"""What a configuration runs: base weights (`pre`), base + SFT adapter (`post`), an API model."""
Condition = Literal["baseline", "curated"]


class Student(_Strict):
    name: Name
    """Identifier used in run folders, episode rows and reports (e.g. `qwen35-2b`)."""
    source: str
    """`embedded:smollm2-135m`, `tiny:qwen3.5` (`tiny:qwen3.5-thinking`: with a thinking switch),
    a local folder (`./…`, `/…`, `~/…`) or a hub id."""
    revision: str | None = None
    """Hub revision (commit or tag) for a hub id; part of the inference path."""
    size: str
    """Size label shown in tables and plots (e.g. `0.8B`)."""
    params: int = Field(gt=0)
    """Parameter count; orders sizes in the trajectory."""
    new: bool = False
    """A size the paper did not measure (e.g. 8B, 14B): its lift tests the paper's prediction."""
    chat_template_kwargs: TemplateKwargs = None
    """Extra variables for the model's chat template, e.g. `{enable_thinking: false}` for
    Qwen3-family thinking switches; passed by every engine and part of the inference path.
    `null`: the template's own defaults."""

    added_later = frozenset({"chat_template_kwargs"})

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
    chat_template_kwargs: TemplateKwargs = None
    """`backend: openai` only: chat-template variables for a server that renders the template
    itself (vLLM's `chat_template_kwargs`), e.g. `{enable_thinking: false}`; `null`: none."""

    added_later = frozenset({"chat_template_kwargs"})

    @model_validator(mode="after")
    def _kwargs_need_a_template_server(self) -> Reference:
        if self.chat_template_kwargs is not None and self.backend != "openai":
            raise ValueError(
                "`chat_template_kwargs` needs `backend: openai` (a server that "
                "renders the chat template, such as vLLM)"
            )
        return self


class Reasoning(_Strict):
    """How a reasoning trace is told apart from the answer in every episode's reply."""

    open: str = Field("<think>", min_length=1)
    """Text that opens a trace (Qwen3-family thinking: `<think>`)."""
    close: str = Field("</think>", min_length=1)
    """Text that closes it; a trace that never closes leaves the episode cut off (undecided)."""

    @model_validator(mode="after")
    def _distinct(self) -> Reasoning:
        if self.open == self.close:
            raise ValueError("`open` and `close` must differ")
        return self


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


TEACHER_BACKENDS = ("anthropic", "openai")
"""Prefixes of a teacher served by an HTTP API: `anthropic:<model>`, `openai:<model>`."""


class Distill(ApiClient):
    """The distill step: a teacher writes a five-step demonstration for every corpus task of the
    built-in suite, and a filter keeps those it passes (the paper: a frontier teacher's chain of
    thought, kept only when an LLM judge passed it). The client fields (`base_url`,
    `api_key_env`, `max_concurrency`, `timeout_s`, `price`) reach an API teacher. Without this
    section the corpus is the programmatic teacher's, filtered by the extractor."""

    teacher: str = "programmatic"
    """`programmatic` (the suite's worked solutions, offline), `anthropic:<model>` or
    `openai:<model>` (an API model), or a local model source served by `compute.engine`."""
    revision: str | None = None
    """Hub revision of a local teacher model; part of the teacher's inference path."""
    decoding: Decoding = Decoding(max_new_tokens=512)
    """The teacher's decoding: greedy, and room for a whole five-step solution."""
    judge: Name | Scorer | None = None
    """The LLM judge that filters demonstrations: the name of an `llm` entry of `scorers`, or a
    scorer of its own; `null`: the extractor alone (it rejects every rubric task)."""
    judge_tasks: Literal["rubric", "all"] = "rubric"
    """`rubric`: the extractor filters reference tasks and the judge rubric tasks; `all`: the
    judge filters every demonstration, as the paper did."""
    budget: Budget = Budget()
    """Spending cap over the teacher's and the judge's requests; reaching it stops the step
    cleanly (exit 6) with what was paid for kept."""

    @property
    def teacher_backend(self) -> Literal["programmatic", "anthropic", "openai", "local"]:
        """Return what serves the teacher: the suite's solutions, an HTTP API, a local engine."""
        if self.teacher == "programmatic":
            return "programmatic"
        prefix = self.teacher.split(":", 1)[0]
        return prefix if prefix in TEACHER_BACKENDS else "local"  # type: ignore[return-value]

    @property
    def teacher_model(self) -> str:
        """Return the teacher's model: the provider id of an API teacher, else `teacher`."""
        if self.teacher_backend in TEACHER_BACKENDS:
            return self.teacher.split(":", 1)[1]
        return self.teacher

    @model_validator(mode="after")
    def _judge_is_an_llm(self) -> Distill:
        if self.teacher_backend in TEACHER_BACKENDS and not self.teacher_model:
            raise ValueError(f"`teacher: {self.teacher}` names no model after the colon")
        if isinstance(self.judge, Scorer) and self.judge.kind != "llm":
            raise ValueError("`judge` filters with an LLM: it needs `kind: llm`")
        if self.judge_tasks == "all" and self.judge is None:
            raise ValueError("`judge_tasks: all` needs a `judge`")
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
    reasoning: Reasoning = Reasoning()
    """Markers of the reasoning trace, shared by every configuration so every path splits
    replies alike; non-default markers are part of the path."""
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
    distill: Distill | None = None
    """The distill step (teacher, decoding, judge filter, budget); `null`: no distill step,
    the built-in suite's programmatic corpus is trained on."""

    added_later = frozenset({"reasoning", "distill"})

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
    def _distill_judge_is_configured(self) -> StudyConfig:
        judge = self.distill.judge if self.distill else None
        if isinstance(judge, str):
            found = [s for s in self.scorers if s.name == judge]
            if not found or found[0].kind != "llm":
                raise ValueError(f"distill.judge: {judge!r} names no `llm` entry of `scorers`")
        return self

    def distill_settings(self, teacher: str | None = None) -> Distill:
        """Return the `distill:` section (its defaults without one), `teacher` overriding."""
        settings = self.distill or Distill()
        if teacher:
            settings = Distill.model_validate(settings.model_dump() | {"teacher": teacher})
        return settings

    def distill_judge(self) -> Scorer | None:
        """Return the LLM judge that filters demonstrations (a named scorer resolved)."""
        judge = self.distill.judge if self.distill else None
        if isinstance(judge, str):
            return next(s for s in self.scorers if s.name == judge)
        return judge

    @model_validator(mode="after")
    def _references_for_reference_stage(self) -> StudyConfig:
        if "reference" in self.stages and not self.references:
            raise ValueError("stage `reference` needs at least one entry in `references`")
        return self

    def fingerprint(self) -> str:
        """Return the sha256 of the canonical config, storage excluded (it changes no result).
        Keys added after run folders existed count only once set (`Strict.added_later`), so
        a config written before them keeps its fingerprint and its run folder resumes."""
        content = self.model_dump(mode="json", exclude={"storage"})
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
