"""The validation stage: Great Expectations suites over skills, holdout and corpus rows.

Two layers. Reading a file parses every line into its row model, so malformed JSON, bytes
that are not UTF-8, missing fields, wrong types and blocks without exactly five steps stop at
the first bad line, naming file, line and field. Then Great Expectations checks what spans
rows: unique ids, five holdout tasks per skill, corpus verdicts and `ANSWER:` lines, token
lengths, corpus coverage of every holdout skill, and leakage of holdout tasks into the corpus.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from procsft.atomic import write_text_atomic
from procsft.errors import DataError, ExitCode, ProcsftError
from procsft.judge.extractor import ends_with_answer_line
from procsft.leakage import DEFAULT_THRESHOLD, Leak, LeakIndex
from procsft.prompt import build_messages
from procsft.schema import CorpusRow, R, Skill, Task, parse_line

MAX_FILE_MB = 256
CHARS_PER_TOKEN = 3  # an estimate, used only when no tokenizer is given
TokenCounter = Callable[[list[dict[str, str]]], int]


class ValidationFailed(ProcsftError):
    """At least one expectation failed; the report names each and the rows behind it."""

    exit_code = ExitCode.FAILED


@dataclass
class ExpectationOutcome:
    suite: str
    file: str
    expectation: str
    column: str
    success: bool
    unexpected_count: int
    description: str
    examples: list[str] = field(default_factory=list)

    def line(self) -> str:
        shown = ", ".join(self.examples[:5]) + (" …" if len(self.examples) > 5 else "")
        return f"{self.file}: {self.description}: {self.unexpected_count} rows fail ({shown})"


@dataclass
class ValidationReport:
    files: dict[str, str]
    counts: dict[str, int]
    outcomes: list[ExpectationOutcome]
    leaks: list[dict[str, Any]]
    token_counting: str

    @property
    def success(self) -> bool:
        return all(o.success for o in self.outcomes)

    @property
    def failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success]

    def write(self, out: Path) -> None:
        """Write `validation.json` (every expectation) and `validation.md` (what failed)."""
        data = {
            "success": self.success,
            "files": self.files,
            "counts": self.counts,
            "token_counting": self.token_counting,
            "expectations": [asdict(o) for o in self.outcomes],
            "leaks": self.leaks,
        }
        write_text_atomic(out / "validation.json", json.dumps(data, indent=2) + "\n")
        lines = [f"# Validation: {'passed' if self.success else 'FAILED'}", ""]
        lines += [f"- {name}: {n} rows" for name, n in self.counts.items()]
        lines += ["", f"{len(self.outcomes)} expectations, {len(self.failures)} failed.", ""]
        for o in self.failures:
            lines += [f"## {o.suite}: {o.description}", "", f"Rows: {', '.join(o.examples)}", ""]
        if self.leaks:
            lines += [
                "## Leaked holdout tasks",
                "",
                "| corpus row | holdout task | overlap | why |",
            ]
            lines += ["| --- | --- | ---: | --- |"]
            lines += [
                f"| {x['corpus_id']} | {x['holdout_id']} | {x['similarity']:.2f} | {x['reason']} |"
                for x in self.leaks
            ]
        write_text_atomic(out / "validation.md", "\n".join(lines) + "\n")


def load_rows(path: Path, model: type[R], max_mb: int = MAX_FILE_MB) -> list[tuple[int, R]]:
    """Return (line, row) pairs of a JSONL file; refuse files over `max_mb` and empty files."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    if size > max_mb * 2**20:
        raise DataError(
            f"{path}: {size / 2**20:.0f} MB is over the {max_mb} MB limit for a row file "
            "(suite.max_file_mb)"
        )
    rows, line = [], 0
    with path.open("rb") as handle:
        for line, raw in enumerate(handle, start=1):
            if raw.strip():
                rows.append((line, parse_line(path, line, raw, model)))
    if not rows:
        raise DataError(f"{path}: no rows")
    return rows


class Checker:
    """Runs Great Expectations suites on data frames (ephemeral context: writes nothing),
    keeping each outcome with the labels of the rows that fail it (suite and judge checks)."""

    def __init__(self):
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self.gx = gx
        self.expect = gx.expectations
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(
            globally=False, metric_calculations=False
        )
        self.outcomes: list[ExpectationOutcome] = []

    def check(self, name: str, file: Path, rows: list[dict], expectations: list) -> None:
        """Validate `rows` (each with a `row` label) against [(description, expectation)]."""
        import pandas as pd

        batch = (
            self.context.data_sources.add_pandas(f"procsft-{name}")
            .add_dataframe_asset(name)
            .add_batch_definition_whole_dataframe("all")
            .get_batch(batch_parameters={"dataframe": pd.DataFrame(rows)})
        )
        suite = self.gx.ExpectationSuite(name=name)
        for _, expectation in expectations:
            suite.add_expectation(expectation)
        result = batch.validate(
            self.context.suites.add(suite),
            result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ["row"]},
        )
        for (description, expectation), r in zip(expectations, result.results, strict=True):
            indices = r.result.get("unexpected_index_list") or []
            self.outcomes.append(
                ExpectationOutcome(
                    suite=name,
                    file=str(file),
                    expectation=r.expectation_config.type,
                    column=getattr(expectation, "column", ""),
                    success=bool(r.success),
                    unexpected_count=int(r.result.get("unexpected_count") or 0),
                    description=description,
                    examples=[str(i["row"]) for i in indices if isinstance(i, dict)],
                )
            )


# fmt: off  (the expectation tables read best one expectation per line)
def validate_suite(
    skills_path: Path,
    holdout_path: Path,
    corpus_path: Path | None,
    *,
    tasks_per_skill: int = 5,
    max_length: int | None = None,
    count_tokens: TokenCounter | None = None,
    leakage_threshold: float = DEFAULT_THRESHOLD,
    max_mb: int = MAX_FILE_MB,
) -> ValidationReport:
    """Validate the suite files; an unparsable row raises DataError, the rest is reported."""
    skills = load_rows(skills_path, Skill, max_mb)
    holdout = load_rows(holdout_path, Task, max_mb)
    corpus = load_rows(corpus_path, CorpusRow, max_mb) if corpus_path else []
    checker = Checker()
    E = checker.expect
    skill_ids = sorted({s.skill_id for _, s in skills})

    checker.check(
        "skills",
        skills_path,
        [
            {"row": f"line {n}: {s.skill_id}", "skill_id": s.skill_id, "steps": len(s.steps)}
            for n, s in skills
        ],
        [
            ("skill_id is unique", E.ExpectColumnValuesToBeUnique(column="skill_id")),
            (
                "exactly five steps",
                E.ExpectColumnValuesToBeBetween(column="steps", min_value=5, max_value=5),
            ),
        ],
    )
    checker.check(
        "holdout",
        holdout_path,
        [
            {
                "row": f"line {n}: {t.task_id}",
                "task_id": t.task_id,
                "skill_id": t.skill_id,
                "split": t.split,
                "prompt_chars": len(t.prompt.strip()),
            }
            for n, t in holdout
        ],
        [
            ("task_id is unique", E.ExpectColumnValuesToBeUnique(column="task_id")),
            (
                "skill_id names a known skill",
                E.ExpectColumnValuesToBeInSet(column="skill_id", value_set=skill_ids),
            ),
            (
                "split is holdout",
                E.ExpectColumnValuesToBeInSet(column="split", value_set=["holdout"]),
            ),
            (
                "prompt is not blank",
                E.ExpectColumnValuesToBeBetween(column="prompt_chars", min_value=1),
            ),
        ],
    )
    per_skill = Counter(t.skill_id for _, t in holdout)
    checker.check(
        "holdout-per-skill",
        holdout_path,
        [{"row": f"skill {sid}", "tasks": per_skill[sid]} for sid in skill_ids],
        [
            (
                f"{tasks_per_skill} holdout tasks per skill",
                E.ExpectColumnValuesToBeBetween(
                    column="tasks", min_value=tasks_per_skill, max_value=tasks_per_skill
                ),
            ),
        ],
    )

    leaks: list[Leak] = []
    token_counting = "none (no corpus)"
    if corpus:
        index = LeakIndex([(t.task_id, t.prompt) for _, t in holdout], leakage_threshold)
        leaks = index.leaks([(c.row_id, c.prompt) for _, c in corpus])
        leaked = {leak.corpus_id for leak in leaks}
        tokens, token_counting = _token_lengths(
            corpus, {s.skill_id: s for _, s in skills}, count_tokens
        )
        checks = [
            ("row_id is unique", E.ExpectColumnValuesToBeUnique(column="row_id")),
            (
                "skill_id names a known skill",
                E.ExpectColumnValuesToBeInSet(column="skill_id", value_set=skill_ids),
            ),
            (
                "judge verdict is pass",
                E.ExpectColumnValuesToBeInSet(column="verdict", value_set=["pass"]),
            ),
            (
                "response ends in an ANSWER: line",
                E.ExpectColumnValuesToBeInSet(column="answer_line", value_set=[True]),
            ),
            (
                "task is not a holdout task",
                E.ExpectColumnValuesToNotBeInSet(
                    column="task_id", value_set=sorted(t.task_id for _, t in holdout)
                ),
            ),
            (
                "no holdout task leaks into the corpus",
                E.ExpectColumnValuesToBeInSet(column="leaked", value_set=[False]),
            ),
        ]
        if max_length is not None:
            checks.append(
                (
                    f"at most {max_length} tokens ({token_counting})",
                    E.ExpectColumnValuesToBeBetween(column="tokens", max_value=max_length),
                )
            )
        checker.check(
            "corpus",
            corpus_path,
            [
                {
                    "row": f"line {n}: {c.row_id}",
                    "row_id": c.row_id,
                    "task_id": c.task_id,
                    "skill_id": c.skill_id,
                    "verdict": c.verdict,
                    "answer_line": ends_with_answer_line(c.response),
                    "tokens": tokens[i],
                    "leaked": c.row_id in leaked,
                }
                for i, (n, c) in enumerate(corpus)
            ],
            checks,
        )
        covered = Counter(c.skill_id for _, c in corpus)
        checker.check(
            "corpus-coverage",
            corpus_path,
            [{"row": f"skill {sid}", "corpus_rows": covered[sid]} for sid in sorted(per_skill)],
            [
                (
                    "every holdout skill has corpus rows",
                    E.ExpectColumnValuesToBeBetween(column="corpus_rows", min_value=1),
                ),
            ],
        )
    return ValidationReport(
        files={
            "skills": str(skills_path),
            "holdout": str(holdout_path),
            "corpus": str(corpus_path or ""),
        },
        counts={"skills": len(skills), "holdout": len(holdout), "corpus": len(corpus)},
        outcomes=checker.outcomes,
        leaks=[asdict(leak) for leak in leaks],
        token_counting=token_counting,
    )


# fmt: on


def _token_lengths(
    corpus: Sequence[tuple[int, CorpusRow]], skills: dict[str, Skill], count: TokenCounter | None
) -> tuple[list[int], str]:
    """Return each training sequence's length: system, curated prompt and response."""
    lengths = []
    for _, row in corpus:
        skill = skills.get(row.skill_id)
        task = Task(
            task_id=row.task_id,
            skill_id=row.skill_id,
            split="corpus",
            prompt=row.prompt,
            answer_type=skill.answer_type if skill else "string",
            rubric="-",
        )
        messages = (
            build_messages(task, skill, "curated")
            if skill
            else [{"role": "user", "content": row.prompt}]
        )
        messages = [*messages, {"role": "assistant", "content": row.response}]
        if count is not None:
            lengths.append(count(messages))
        else:
            chars = sum(len(m["content"]) for m in messages)
            lengths.append(math.ceil(chars / CHARS_PER_TOKEN))
    how = (
        "student tokenizer" if count is not None else f"estimated at {CHARS_PER_TOKEN} chars/token"
    )
    return lengths, how


def tokenizer_counter(load_from: str, revision: str | None = None) -> TokenCounter:
    """Return a counter of chat-templated tokens with a model's own tokenizer."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(load_from, revision=revision)

    def count(messages: list[dict[str, str]]) -> int:
        ids = tokenizer.apply_chat_template(messages, tokenize=True)
        return len(ids["input_ids"] if hasattr(ids, "keys") else ids)

    return count
