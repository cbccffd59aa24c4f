"""The judge-pass checks: after judging, Great Expectations holds the verdicts, the episodes and
a distilled corpus to the config's `analysis.judge_limits`, so a judge that says nothing about
the students (one that passes nearly everything, κ ≈ 0 with the extractor) is flagged.

Per scorer × configuration × condition: the undecided share (every scorer; an extractor's
verdicts on judge-only tasks left out) and, for LLM judges, the judge-error share, the pass rate
and Cohen's κ with each extractor on the episodes both decided. Per configuration × condition:
the shares of episodes cut at `max_new_tokens` and of empty responses. Per skill of a distilled
corpus: the judge-pass rate (when the distillation manifest counts what its judge saw) and the
rows kept.

`check_judges(config, run)` is the one entry point, called once verdicts are written (the
analyze step; re-judging stored episodes): it writes `validate/verdicts.json` and `.md`, and in
`fail` mode raises JudgeChecksFailed, one line naming the check.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from procsft.analysis.agreement import kappa
from procsft.analysis.limits import describe_check
from procsft.config import StudyConfig
from procsft.errors import ExitCode, ProcsftError
from procsft.judge.extractor import NO_REFERENCE
from procsft.judge.llm import JUDGE_ERROR
from procsft.judge_limits import JudgeLimits
from procsft.run_files import JudgeCheck, JudgeChecks
from procsft.run_folder import RunFolder, read_json
from procsft.schema import Episode, Verdict, read_rows

__all__ = ["JudgeChecksFailed", "check_judges", "judge_checks", "to_markdown"]

UNDECIDED = "undecided share"
JUDGE_ERRORS = "judge-error share"
PASS_RATE = "pass rate"
AGREEMENT = "agreement with"
"""Followed by the extractor's name: a judge has one κ check per extractor."""
CUT_OFF = "cut at max_new_tokens"
EMPTY = "empty responses"
CORPUS_PASS_RATE = "corpus judge-pass rate"
CORPUS_ROWS = "corpus rows kept"
KINDS = (UNDECIDED, JUDGE_ERRORS, PASS_RATE, AGREEMENT, CUT_OFF, EMPTY)
KINDS += (CORPUS_PASS_RATE, CORPUS_ROWS)
"""The checks in the order files and the report list them (failed ones first)."""
DIGITS = 4
"""Observed values are stored rounded (Great Expectations compares the exact ones)."""


class JudgeChecksFailed(ProcsftError):
    """A judge-pass check failed in `fail` mode: the run stops before its numbers are made."""

    exit_code = ExitCode.FAILED


@dataclass
class _Measured:
    """A check before Great Expectations has looked at it: where it applies and its value."""

    kind: str
    value: float | None
    n: int
    scorer: str | None = None
    configuration: str | None = None
    condition: str | None = None
    skill: str | None = None
    extractor: str | None = None

    @property
    def name(self) -> str:
        """Return the check's name (an agreement check names its extractor)."""
        return f"{self.kind} {self.extractor}" if self.kind == AGREEMENT else self.kind

    @property
    def label(self) -> str:
        """Return the row's name in the expectation outcomes (unique within its kind)."""
        parts = (self.scorer, self.extractor, self.configuration, self.condition, self.skill)
        return " ".join(p for p in parts if p)


def check_judges(
    config: StudyConfig,
    run: RunFolder,
    *,
    enforce: bool = True,
    verdicts: Sequence[Verdict] | None = None,
    episodes: Sequence[Episode] | None = None,
) -> JudgeChecks:
    """Return the judge-pass checks of the run's verdicts, episodes and distilled corpus, after
    writing `validate/verdicts.json` and `validate/verdicts.md`. With `analysis.judge_checks:
    fail` and `enforce`, a failed check raises JudgeChecksFailed (exit 1) once both are
    written. `verdicts` and `episodes` default to the run folder's rows (a run without
    `episodes.jsonl` gets no episode checks)."""
    if verdicts is None:
        verdicts = list(read_rows(run.verdicts, Verdict))
    if episodes is None:
        episodes = list(read_rows(run.episodes, Episode)) if run.episodes.exists() else []
    distillation = (read_json(run.suite_manifest) or {}).get("distillation") or {}
    checks = judge_checks(verdicts, episodes, config, distillation.get("per_skill"))
    run.write_judge_checks(checks, to_markdown(checks, config.analysis.judge_limits))
    if enforce and checks.mode == "fail" and not checks.success:
        raise JudgeChecksFailed(failure_line(checks, run.judge_checks.with_suffix(".md")))
    return checks


def judge_checks(
    verdicts: Sequence[Verdict],
    episodes: Sequence[Episode],
    config: StudyConfig,
    per_skill: dict[str, dict[str, Any]] | None = None,
) -> JudgeChecks:
    """Return every judge-pass check: the measurements of this module's docstring, each judged
    by a Great Expectations expectation of `config.analysis.judge_limits`. `per_skill` is the
    distillation manifest's counts per skill (`kept`, `rejected`, and `judged`, perhaps with
    `judge_passed`, when a judge filtered the corpus); None when it was not distilled."""
    from procsft.validate import Checker  # Great Expectations takes seconds to import

    limits = config.analysis.judge_limits
    judges = [s.name for s in config.scorers if s.kind == "llm"]
    extractors = [s.name for s in config.scorers if s.kind == "extractor"]
    measured = _verdict_measures(verdicts, judges, extractors)
    measured += _episode_measures(episodes) + _corpus_measures(per_skill or {})
    checker = Checker()
    expect = checker.expect
    between = {
        UNDECIDED: (None, limits.max_undecided_share),
        JUDGE_ERRORS: (None, limits.max_judge_error_share),
        PASS_RATE: (limits.min_pass_rate, limits.max_pass_rate),
        AGREEMENT: (limits.min_kappa, None),
        CUT_OFF: (None, limits.max_cut_off_share),
        EMPTY: (None, limits.max_empty_share),
        CORPUS_PASS_RATE: (limits.min_corpus_pass_rate, None),
        CORPUS_ROWS: (limits.min_corpus_rows, None),
    }
    source = {CUT_OFF: "episodes.jsonl", EMPTY: "episodes.jsonl"}
    source |= {CORPUS_PASS_RATE: "suite/manifest.json", CORPUS_ROWS: "suite/manifest.json"}
    checks: list[JudgeCheck] = []
    for kind in KINDS:
        rows = [m for m in measured if m.kind == kind]
        if not rows:
            continue
        low, high = between[kind]
        expected = _expected(low, high)
        checker.check(
            kind.replace(" ", "-"),
            Path(source.get(kind, "verdicts.jsonl")),
            [{"row": m.label, "value": m.value} for m in rows],
            [
                (
                    f"{kind} {expected}",
                    expect.ExpectColumnValuesToBeBetween(
                        column="value", min_value=low, max_value=high
                    ),
                )
            ],
        )
        failing = set(checker.outcomes[-1].examples)
        checks += [_check(m, expected, m.label not in failing) for m in rows]
    checks.sort(key=lambda c: c.success)  # stable: failed first, each kind in KINDS order
    failed = sum(not c.success for c in checks)
    return JudgeChecks(
        mode=config.analysis.judge_checks,
        success=failed == 0,
        checked=len(checks),
        failed=failed,
        checks=checks,
        expectations=[asdict(o) for o in checker.outcomes],
    )


def _verdict_measures(
    verdicts: Iterable[Verdict], judges: Sequence[str], extractors: Sequence[str]
) -> list[_Measured]:
    cells: dict[tuple[str, str, str], list[Verdict]] = defaultdict(list)
    for v in verdicts:
        cells[(v.scorer, v.configuration, v.condition)].append(v)
    out: list[_Measured] = []
    for (scorer, configuration, condition), rows in cells.items():  # in the rows' order
        where = {"scorer": scorer, "configuration": configuration, "condition": condition}
        # An extractor cannot decide a task without a reference answer: by design, not a fault.
        decidable = [v for v in rows if not (scorer in extractors and v.reason == NO_REFERENCE)]
        undecided = sum(v.passed is None for v in decidable)
        out.append(_Measured(UNDECIDED, _share(undecided, len(decidable)), len(decidable), **where))
        if scorer not in judges:
            continue
        errors = sum(v.reason.startswith(JUDGE_ERROR) for v in rows)
        out.append(_Measured(JUDGE_ERRORS, _share(errors, len(rows)), len(rows), **where))
        decided = [v for v in rows if v.passed is not None]
        passed = sum(bool(v.passed) for v in decided)
        out.append(_Measured(PASS_RATE, _share(passed, len(decided)), len(decided), **where))
        for extractor in extractors:
            other = {
                v.episode_id: v.passed for v in cells.get((extractor, configuration, condition), [])
            }
            pairs = [
                (other[v.episode_id], v.passed)
                for v in decided
                if other.get(v.episode_id) is not None
            ]
            out.append(
                _Measured(
                    AGREEMENT,
                    _informative_kappa(pairs),
                    len(pairs),
                    extractor=extractor,
                    **where,
                )
            )
    return out


def _informative_kappa(pairs: list[tuple[bool, bool]]) -> float | None:
    """Return κ of (extractor, judge) pairs; None when the extractor gave a single label: κ is
    then 0 (or undefined) whatever the judge did, so it says nothing about the judge (a judge
    that passes everything is still caught by its pass rate)."""
    if len({x for x, _ in pairs}) < 2:
        return None
    return kappa([x for x, _ in pairs], [y for _, y in pairs])


def _episode_measures(episodes: Iterable[Episode]) -> list[_Measured]:
    cells: dict[tuple[str, str], list[Episode]] = defaultdict(list)
    for e in episodes:
        cells[(e.configuration, e.condition)].append(e)
    out = []
    for (configuration, condition), rows in cells.items():
        where = {"configuration": configuration, "condition": condition}
        cut = sum(e.finish_reason == "length" for e in rows)
        empty = sum(not e.response.strip() for e in rows)
        out.append(_Measured(CUT_OFF, _share(cut, len(rows)), len(rows), **where))
        out.append(_Measured(EMPTY, _share(empty, len(rows)), len(rows), **where))
    return out


def _corpus_measures(per_skill: dict[str, dict[str, Any]]) -> list[_Measured]:
    """Return each skill's rows kept and, when a judge filtered the corpus (the manifest counts
    `judged`), its judge-pass rate: `judge_passed` of `judged` when both are counted, else the
    kept share of the skill's demonstrations. A manifest without judge counts (the extractor
    filtered) gets the kept-row check only."""
    out = []
    for skill, counts in sorted(per_skill.items()):
        kept = int(counts.get("kept") or 0)
        rows = kept + int(counts.get("rejected") or 0)
        if "judged" in counts:
            if "judge_passed" in counts:
                passed, judged = int(counts["judge_passed"] or 0), int(counts["judged"] or 0)
            else:
                passed, judged = kept, rows
            out.append(_Measured(CORPUS_PASS_RATE, _share(passed, judged), judged, skill=skill))
        out.append(_Measured(CORPUS_ROWS, kept, rows, skill=skill))
    return out


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _expected(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"within [{low:g}, {high:g}]"
    return f"≥ {low:g}" if low is not None else f"≤ {high:g}"


def _check(m: _Measured, expected: str, success: bool) -> JudgeCheck:
    value = m.value if m.value is None or isinstance(m.value, int) else round(m.value, DIGITS)
    # Every key given, so every check has the same columns in files and the report.
    return JudgeCheck(
        check=m.name,
        scorer=m.scorer,
        configuration=m.configuration,
        condition=m.condition,
        skill=m.skill,
        extractor=m.extractor,
        n=m.n,
        observed=value,
        expected=expected,
        success=success,
    )


def failure_line(checks: JudgeChecks, report: object) -> str:
    """Return the one line a failed run ends with: the first failed check, how many more."""
    first, *more = checks.failures
    tail = f"; and {len(more)} more" if more else ""
    return f"judge check failed: {describe_check(first.as_dict())}{tail}; see {report}"


COLUMNS = ("check", "scorer", "configuration", "condition", "skill", "extractor", "n")
COLUMNS += ("observed", "expected")


def to_markdown(checks: JudgeChecks, limits: JudgeLimits) -> str:
    """Return `validate/verdicts.md`: the verdict, what failed, then every check."""
    status = "passed" if checks.success else "FAILED"
    what = (
        "a failed check stops the run"
        if checks.mode == "fail"
        else "a failed check is marked (⚠) on every pass rate, Δ and lift it affects"
    )
    lines = [f"# Judge checks: {status}", ""]
    lines += [
        f"{checks.checked} checks, {checks.failed} failed (mode `{checks.mode}`: {what}).",
        "",
    ]
    lines += ["Limits (`analysis.judge_limits`): " + ", ".join(
        f"{k} {v}" for k, v in limits.model_dump().items()
    ) + ".", ""]  # fmt: skip
    if checks.failures:
        lines += ["## Failed", "", *_table(checks.failures), ""]
    lines += ["## Every check", "", *_table(checks.checks)]
    return "\n".join(lines) + "\n"


def _table(checks: Sequence[JudgeCheck]) -> list[str]:
    data = [c.as_dict() for c in checks]
    columns = [c for c in COLUMNS if any(row.get(c) is not None for row in data)]
    lines = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    for row in data:
        cells = ["—" if row.get(c) is None else str(row[c]) for c in columns]
        lines.append("| " + " | ".join(cells) + " |")
    return lines
