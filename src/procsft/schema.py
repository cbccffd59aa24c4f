"""Row types passed between stages, and JSONL io that never leaves a torn row behind.

Every row has a stable `key`: a stage that is killed and rerun appends only the rows whose
keys are missing, and `finalize` publishes the finished file in one atomic rename.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, ClassVar, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    model_serializer,
    model_validator,
)

from procsft.answers import AnswerType
from procsft.atomic import write_bytes_atomic
from procsft.config import Condition, Phase
from procsft.errors import DataError, disk_full


class Row(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)
    key_field: ClassVar[str]

    @property
    def key(self) -> str:
        return getattr(self, self.key_field)


class Skill(Row):
    key_field = "skill_id"
    skill_id: str = Field(min_length=1)
    """Stable id, e.g. `percent-change`."""
    name: str = Field(min_length=1)
    """Human name shown in the skill block."""
    domain: str = Field(min_length=1)
    """Topic family, e.g. `arithmetic and finance`."""
    steps: list[str] = Field(min_length=5, max_length=5)
    """Exactly five procedure steps, without their numbers."""
    answer_type: AnswerType
    """How the extractor normalises and compares answers."""

    def block(self) -> str:
        """Return the skill block: the name and the five numbered steps."""
        lines = [f"Procedure: {self.name}"]
        lines += [f"{i}. {step}" for i, step in enumerate(self.steps, start=1)]
        return "\n".join(lines)


class Task(Row):
    key_field = "task_id"
    task_id: str = Field(min_length=1)
    """Stable id, e.g. `percent-change-h03`."""
    skill_id: str = Field(min_length=1)
    """The skill that solves this task."""
    split: Literal["holdout", "corpus"]
    """Holdout tasks are evaluated; corpus tasks are for SFT only."""
    prompt: str = Field(min_length=1)
    """The problem text shown to the model."""
    answer_type: AnswerType
    """Copied from the skill, so a verdict needs only the task."""
    reference: str | None = None
    """Reference answer; `None` for rubric-only (judge-scored) tasks."""
    tolerance: float = Field(0.0, ge=0)
    """Absolute tolerance for decimal answers."""
    rubric: str | None = None
    """What a judge checks when there is no reference answer."""

    @model_validator(mode="after")
    def _scorable(self) -> Task:
        if self.reference is None and self.rubric is None:
            raise ValueError("a task needs a reference answer or a rubric")
        return self


class CorpusRow(Row):
    key_field = "row_id"
    row_id: str = Field(min_length=1)
    """Stable id of the demonstration."""
    task_id: str = Field(min_length=1)
    """The corpus task it demonstrates (never a holdout task)."""
    skill_id: str = Field(min_length=1)
    """The skill it follows; its block is joined to the prompt by the one prompt template."""
    prompt: str = Field(min_length=1)
    """The task text. Training shows it with the skill block exactly as the `curated`
    condition does (`procsft.prompt.build_messages`), so the two cannot drift apart."""
    response: str = Field(min_length=1)
    """Five-step chain of thought ending in an `ANSWER:` line."""
    teacher: str = Field(min_length=1)
    """Who wrote the response (model id, or `programmatic`)."""
    verdict: Literal["pass", "fail"]
    """The judge's verdict on the response; only passes are trained on."""
    reason: str = ""
    """Why the judge passed or failed it."""


class Demonstration(Row):
    key_field = "task_id"
    task_id: str = Field(min_length=1)
    """The corpus task the teacher solved."""
    skill_id: str = Field(min_length=1)
    """The task's skill."""
    teacher: str = Field(min_length=1)
    """The teacher (`programmatic`, `anthropic:<model>`, `openai:<model>` or a model source)."""
    messages: list[dict[str, str]]
    """The chat messages sent to the teacher (the `curated` prompt of the task)."""
    response: str
    """The teacher's reply, before any filter looked at it."""
    finish_reason: Literal["stop", "length"]
    """`stop` at end of turn, `length` at the token budget."""
    prompt_tokens: int
    completion_tokens: int
    path_fingerprint: str
    """sha256 of `path`."""
    path: dict[str, Any]
    """The teacher's inference path (engine, model, prompt and decoding)."""


class Episode(Row):
    key_field = "episode_id"
    episode_id: str
    """`configuration|task_id|condition|seed=N`: unique per generation."""
    configuration: str
    """The configuration's name (`procsft.plan.Configuration.name`)."""
    student: str
    """Student (or reference) name from the config."""
    size: str
    """Size label of the student."""
    stage: Phase
    """The configuration's phase: `pre`, `post` or `reference` (the row field keeps its first
    name)."""
    recipe: str | None = None
    """`post` only: the SFT recipe of the adapter."""
    train_seed: int | None = None
    """`post` only: the training seed of the adapter."""
    task_id: str
    """The holdout task."""
    skill_id: str
    """The task's skill."""
    condition: Condition
    """`baseline` (task alone) or `curated` (task with its skill block)."""
    seed: int
    """Rollout seed."""
    messages: list[dict[str, str]]
    """The chat messages sent to the model."""
    response: str
    """The model's reply, special tokens and any reasoning trace removed: what scorers see."""
    reasoning: str | None = None
    """The reply's reasoning trace (between the `reasoning` markers of the config); `None`
    when it has none. Left out of the row then, so episodes without a trace keep their bytes."""
    reasoning_cut_off: bool = False
    """The trace never closed (the token budget ran out inside it): the reply holds no answer,
    so every scorer leaves the episode undecided. Left out of the row when false."""
    finish_reason: Literal["stop", "length"]
    """`stop` at end of turn, `length` at the token budget."""
    prompt_tokens: int
    """Tokens in the templated prompt."""
    completion_tokens: int
    """Tokens generated."""
    path_fingerprint: str
    """sha256 of `path`; equal fingerprints mean matched inference paths."""
    path: dict[str, Any]
    """Every field of the inference path (engine, version, weights, dtype, template, decoding)."""

    @staticmethod
    def make_id(configuration: str, task_id: str, condition: str, seed: int) -> str:
        return f"{configuration}|{task_id}|{condition}|seed={seed}"

    @model_serializer(mode="wrap")
    def _trace_only_when_present(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        if isinstance(data, dict):
            if data.get("reasoning", 0) is None:
                del data["reasoning"]
            if data.get("reasoning_cut_off", True) is False:
                del data["reasoning_cut_off"]
        return data


# The episode fields every verdict repeats, so verdicts alone suffice for analysis.
EPISODE_KEYS = (
    "configuration",
    "student",
    "size",
    "stage",
    "recipe",
    "train_seed",
    "task_id",
    "skill_id",
    "condition",
    "seed",
    "path_fingerprint",
)


class Verdict(Row):
    key_field = "verdict_id"
    verdict_id: str
    """`episode_id|scorer`."""
    episode_id: str
    """The scored episode."""
    scorer: str
    """Scorer name from the config."""
    configuration: str
    """Copied from the episode so verdicts alone suffice for analysis."""
    student: str
    size: str
    stage: Phase
    recipe: str | None = None
    train_seed: int | None = None
    task_id: str
    skill_id: str
    condition: Condition
    seed: int
    path_fingerprint: str
    passed: bool | None
    """Pass/fail; `None` when the scorer could not decide (counted, never guessed)."""
    format_ok: bool
    """Whether the response had the form the scorer needs (an `ANSWER:` line)."""
    extracted: str | None
    """What the scorer read as the answer."""
    reason: str
    """Why it passed or failed, in a few words."""
    judge_output: str | None = None
    """An LLM judge's whole reply (rationale and verdict line), for tracing a verdict."""

    @classmethod
    def of(cls, episode: Episode, scorer: str, **outcome: Any) -> Verdict:
        """Return the verdict of `scorer` on `episode`, carrying the episode's keys so verdicts
        alone suffice for analysis; `outcome` gives passed, format_ok, extracted, reason."""
        return cls(
            verdict_id=f"{episode.episode_id}|{scorer}",
            episode_id=episode.episode_id,
            scorer=scorer,
            **{key: getattr(episode, key) for key in EPISODE_KEYS},
            **outcome,
        )


R = TypeVar("R", bound=Row)


def read_rows(path: str | Path, model: type[R]) -> Iterator[R]:
    """Yield the rows of a JSONL file one at a time; a bad line raises DataError naming it."""
    path = Path(path)
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    with handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            yield parse_line(path, number, raw, model)


def parse_line(path: Path, number: int, raw: bytes, model: type[R]) -> R:
    """Return line `number` of `path` parsed as `model`; DataError names file, line and field."""
    where = f"{path}:{number}"
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise DataError(f"{where}: not UTF-8 (byte {err.start})") from None
    except json.JSONDecodeError as err:
        raise DataError(f"{where}: malformed JSON: {err.msg} (column {err.colno})") from None
    if not isinstance(data, dict):
        raise DataError(f"{where}: expected a JSON object, got {type(data).__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "<row>"
        message = "unknown field" if first["type"] == "extra_forbidden" else first["msg"]
        raise DataError(f"{where}: {field}: {message}") from None


def _encode(row: Row) -> bytes:
    return (json.dumps(row.model_dump(mode="json"), ensure_ascii=False) + "\n").encode()


def write_rows(path: str | Path, rows: Iterable[Row]) -> None:
    """Write rows to `path` atomically: a temp file, fsync, then rename over the target.

    A file that already holds exactly these rows is left alone, so a rerun that changes
    nothing touches nothing."""
    path = Path(path)
    data = b"".join(_encode(row) for row in rows)
    if path.exists() and path.stat().st_size == len(data) and path.read_bytes() == data:
        return
    write_bytes_atomic(path, data, sync_dir=True)


class RowLog:
    """Append-only rows for one stage output, resumable after a kill.

    Rows go to `<path>.partial` as they are made (whole lines, fsynced per batch); a kill
    can tear at most the last line, which `__init__` cuts off. `finalize` writes `<path>`
    atomically in the caller's order, so readers of `<path>` never see a partial stage.
    """

    def __init__(self, path: str | Path, model: type[R]):
        self.path = Path(path)
        self.partial = self.path.with_name(self.path.name + ".partial")
        self.model = model
        self.rows: dict[str, Row] = {}
        if self.path.exists():
            self.rows.update((row.key, row) for row in read_rows(self.path, model))
        if self.partial.exists():
            _cut_torn_tail(self.partial)
            self.rows.update((row.key, row) for row in read_rows(self.partial, model))

    def __contains__(self, key: str) -> bool:
        return key in self.rows

    def forget(self, predicate: Callable[[Row], bool]) -> int:
        """Drop rows matching `predicate` so they are made again; return how many.

        Their lines stay in the partial file, but a row appended later under the same key
        replaces them when the log is read back (the last line of a key wins).
        """
        stale = [key for key, row in self.rows.items() if predicate(row)]
        for key in stale:
            del self.rows[key]
        return len(stale)

    def append(self, rows: Iterable[Row]) -> None:
        """Durably append rows whose keys are new; known keys are skipped, never duplicated."""
        fresh = [row for row in rows if row.key not in self.rows]
        if not fresh:
            return
        self.partial.parent.mkdir(parents=True, exist_ok=True)
        end = self.partial.stat().st_size if self.partial.exists() else 0
        try:
            with self.partial.open("ab") as handle:
                handle.write(b"".join(_encode(row) for row in fresh))
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as err:
            # A full disk may have taken part of the batch: cut it off, so the file holds whole
            # rows only (truncating frees space, so it works on a full disk too).
            os.truncate(self.partial, end)
            raise disk_full(err, self.partial) or err from err
        self.rows.update((row.key, row) for row in fresh)

    def finalize(self, order: Iterable[str]) -> list[Row]:
        """Publish the rows listed in `order` to `path` atomically and drop the partial file."""
        order = list(order)
        missing = [key for key in order if key not in self.rows]
        if missing:
            raise DataError(f"{self.path}: {len(missing)} rows missing, first {missing[0]!r}")
        rows = [self.rows[key] for key in order]
        write_rows(self.path, rows)
        self.partial.unlink(missing_ok=True)
        return rows


def _cut_torn_tail(path: Path) -> None:
    """Truncate a file after its last newline: a line without one was torn by a kill."""
    with path.open("rb+") as handle:
        data = handle.read()
        end = data.rfind(b"\n") + 1
        if end != len(data):
            handle.truncate(end)
            handle.flush()
            os.fsync(handle.fileno())
