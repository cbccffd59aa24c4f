"""Judge-pass checks with Great Expectations over a synthetic run's verdicts, episodes and
distilled corpus (issue 16): a judge that passes everything is flagged, in the files, the
summary and the report; a sane judge passes; `fail` mode stops the run with one line."""

from __future__ import annotations

import io
import json

import pytest
import yaml
from rich.console import Console

from procsft import cli
from procsft.analysis.judge_checks import check_judges, judge_checks
from procsft.config import StudyConfig
from procsft.judge.extractor import NO_REFERENCE
from procsft.judge.llm import JUDGE_ERROR
from procsft.run_folder import RunFolder
from procsft.schema import write_rows
from procsft.stages import analyze_stage
from procsft.testing.synthetic import make_study, with_episodes

CONFIGURATIONS = ("m/pre", "m/post/lora/seed0")


def _study(*, always_pass: bool, tasks: int = 20):
    """Return episodes and verdicts of one size before and after SFT, scored by an extractor
    and an LLM judge that agrees with it on 90 % of episodes, or passes every episode."""
    study = make_study(sizes=(("m", "1B", 10**9),), tasks=tasks, reference=None, disagree=0.1)
    episodes, verdicts = with_episodes(study)
    if always_pass:
        verdicts = [
            v.model_copy(update={"passed": True}) if v.scorer == "judge" else v for v in verdicts
        ]
    return study, episodes, verdicts


def _config(study, **analysis) -> StudyConfig:
    return StudyConfig.model_validate(
        {
            "study": "synthetic",
            "students": [s.model_dump() for s in study.students],
            "stages": ["pre", "post"],
            "recipes": [{"name": "lora"}],
            "scorers": [
                {"name": "extractor", "kind": "extractor"},
                {"name": "judge", "kind": "llm", "backend": "openai", "model": "judge-model"},
            ],
            "analysis": {"resamples": 100, **analysis},
        }
    )


def _run(tmp_path, study, episodes, verdicts, **analysis) -> tuple[StudyConfig, RunFolder]:
    config = _config(study, **analysis)
    run = RunFolder(tmp_path / "run")
    run.root.mkdir(parents=True)
    run.config.write_text(yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False))
    write_rows(run.episodes, episodes)
    write_rows(run.verdicts, verdicts)
    return config, run


def _failed(checks) -> set[tuple[str, str | None, str | None, str | None]]:
    return {(c.check, c.scorer, c.configuration, c.condition) for c in checks.failures}


def test_a_judge_that_passes_everything_is_flagged(tmp_path):
    config, run = _run(tmp_path, *_study(always_pass=True))
    checks = check_judges(config, run)
    cells = {(c, k) for c in CONFIGURATIONS for k in ("baseline", "curated")}
    assert {(s, c, k) for name, s, c, k in _failed(checks) if name == "pass rate"} == {
        ("judge", c, k) for c, k in cells
    }
    rates = [c for c in checks.checks if c.check == "pass rate"]
    assert {c.observed for c in rates} == {1.0} and {c.n for c in rates} == {20}
    # κ = 0 whatever the extractor says: the judge agrees no better than chance.
    kappas = [c for c in checks.checks if c.check == "agreement with extractor"]
    assert {c.observed for c in kappas} == {0.0} and not any(c.success for c in kappas)
    assert all(c.success for c in checks.checks if c.scorer == "extractor")
    assert not checks.success and checks.failed == len(checks.failures) == 8
    assert checks.checks[: checks.failed] == checks.failures  # failed first
    # validate/verdicts.json reads back typed and equal; the .md names what failed.
    assert run.read_judge_checks().as_dict() == checks.as_dict()
    assert {e["suite"] for e in checks.expectations} >= {"pass-rate", "agreement-with"}
    markdown = run.judge_checks.with_suffix(".md").read_text()
    assert markdown.startswith("# Judge checks: FAILED\n")
    row = "| pass rate | judge | m/pre | baseline | — | 20 | 1.0 | within [0.05, 0.95] |"
    assert row in markdown


def test_a_sane_judge_passes_every_check(tmp_path):
    config, run = _run(tmp_path, *_study(always_pass=False))
    checks = check_judges(config, run)
    assert checks.success and checks.failed == 0, [c.as_dict() for c in checks.failures]
    kinds = {c.check for c in checks.checks}
    assert kinds == {
        "undecided share",
        "judge-error share",
        "pass rate",
        "agreement with extractor",
        "cut at max_new_tokens",
        "empty responses",
    }
    kappas = [c.observed for c in checks.checks if c.check == "agreement with extractor"]
    assert min(kappas) > 0.5
    assert run.judge_checks.with_suffix(".md").read_text().startswith("# Judge checks: passed")


def test_warn_mode_puts_the_checks_in_the_summary_and_marks_the_judges_numbers(tmp_path):
    config, run = _run(tmp_path, *_study(always_pass=True))
    out = io.StringIO()
    summary = analyze_stage(config, run, Console(file=out, width=200))
    printed = out.getvalue()
    assert "judge checks: 8 of" in printed and "⚠ one a failed judge check affects" in printed
    typed = run.read_summary().judge_checks
    assert typed.mode == "warn" and typed.failed == 8 and typed.expectations == []
    assert summary["judge_checks"]["checks"][0]["check"] == "pass rate"
    stamped = {(r["scorer"], "judge_checks_failed" in r) for r in summary["pass_rates"]}
    assert stamped == {("judge", True), ("extractor", False)}
    lifts = {(r["scorer"], tuple(r.get("judge_checks_failed", ()))) for r in summary["lift"]}
    assert lifts == {("judge", ("pass rate", "agreement with extractor")), ("extractor", ())}
    report = run.report.read_text()
    lead = report[report.index("## Judge checks") : report.index("## Trajectory")]
    assert "20 of 28 checks passed; ⚠ marks every pass rate, Δ and lift" in lead
    assert "| pass rate | [judge](episodes.html#scorer=judge) | m/pre | baseline |" in lead
    limits = report[report.index("## What limits it") : report.index("## Judge checks")]
    first = "pass rate (judge, m/pre, baseline): 1.0 (expected within [0.05, 0.95])"
    assert f"Judge checks: 8 of 28 failed: {first}" in limits
    table = report[report.index("## Pass rates") :]
    judge_rows = [row for row in table.splitlines() if row.startswith("| m/pre | judge |")]
    extractor_rows = [row for row in table.splitlines() if row.startswith("| m/pre | extractor |")]
    assert judge_rows and all("1.000 ⚠]" in line for line in judge_rows)
    assert extractor_rows and not any("⚠" in line for line in extractor_rows)
    assert json.loads(run.summary.read_text())["judge_checks"] == summary["judge_checks"]


def test_fail_mode_exits_1_with_one_line_naming_the_check(tmp_path, capsys):
    _, run = _run(tmp_path, *_study(always_pass=True), judge_checks="fail")
    code = cli.main(["analyze", "--verdicts", str(run.verdicts)])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1
    assert err.startswith("procsft: error: judge check failed: pass rate (judge, m/pre, baseline)")
    assert "; and 7 more; see " in err and err.rstrip().endswith("validate/verdicts.md")
    assert not run.summary.exists() and not run.report.exists()  # nothing half-made downstream
    assert run.stage("analyze").status == "failed"
    assert not run.read_judge_checks().success


def test_undecided_and_judge_error_shares_count_only_what_a_scorer_can_decide(tmp_path):
    study, episodes, verdicts = _study(always_pass=False)
    rubric_only = {f"t{t:03d}" for t in range(8)}  # judge-only tasks: the extractor cannot
    broken = {f"t{t:03d}" for t in range(12, 15)}  # three judge requests failed
    changed = []
    for v in verdicts:
        if v.scorer == "extractor" and v.task_id in rubric_only:
            v = v.model_copy(update={"passed": None, "reason": NO_REFERENCE})
        cell = (v.configuration, v.condition) == ("m/pre", "curated")
        if v.scorer == "judge" and v.task_id in broken and cell:
            v = v.model_copy(update={"passed": None, "reason": JUDGE_ERROR + "HTTP 500"})
        changed.append(v)
    checks = judge_checks(changed, episodes, _config(study))
    assert _failed(checks) == {
        ("undecided share", "judge", "m/pre", "curated"),
        ("judge-error share", "judge", "m/pre", "curated"),
    }
    share = next(c for c in checks.failures if c.check == "judge-error share")
    assert (share.observed, share.n, share.expected) == (0.15, 20, "≤ 0.02")
    undecided = [c for c in checks.checks if c.check == "undecided share"]
    assert {(c.observed, c.n) for c in undecided if c.scorer == "extractor"} == {(0.0, 12)}
    kappa = {
        (c.configuration, c.condition): c.n
        for c in checks.checks
        if c.check == "agreement with extractor"
    }
    assert kappa[("m/pre", "baseline")] == 12 and kappa[("m/pre", "curated")] == 9  # both decided


def test_cut_off_and_empty_episodes_are_checked_per_configuration_and_condition():
    study, episodes, verdicts = _study(always_pass=False)
    cut = [
        e.model_copy(update={"finish_reason": "length"})
        if e.configuration == "m/post/lora/seed0" and e.condition == "baseline" and e.seed == 0
        and int(e.task_id[1:]) < 5
        else e.model_copy(update={"response": " \n"})
        if e.configuration == "m/pre" and e.condition == "curated" and int(e.task_id[1:]) < 2
        else e
        for e in episodes
    ]  # fmt: skip
    checks = judge_checks(verdicts, cut, _config(study))
    assert _failed(checks) == {
        ("cut at max_new_tokens", None, "m/post/lora/seed0", "baseline"),
        ("empty responses", None, "m/pre", "curated"),
    }
    observed = {c.check: c.observed for c in checks.failures}
    assert observed == {"cut at max_new_tokens": 0.25, "empty responses": 0.1}


def test_the_distilled_corpus_is_checked_per_skill_with_or_without_judge_counts(tmp_path):
    config, run = _run(tmp_path, *_study(always_pass=False))
    per_skill = {
        "alpha": {"kept": 9, "rejected": 0},
        "beta": {"kept": 0, "rejected": 9},
    }
    run.suite_manifest.parent.mkdir(parents=True)
    manifest = {"build": {}, "distillation": {"teacher": "programmatic", "per_skill": per_skill}}
    run.suite_manifest.write_text(json.dumps(manifest))
    checks = check_judges(config, run)
    assert _failed(checks) == {("corpus rows kept", None, None, None)}
    (beta,) = checks.failures
    assert (beta.skill, beta.observed, beta.n, beta.expected) == ("beta", 0, 9, "≥ 1")
    assert not any(c.check == "corpus judge-pass rate" for c in checks.checks)  # no judge counts

    judged = {
        "alpha": {"kept": 8, "rejected": 1, "judged": 9, "judge_passed": 8},
        "beta": {"kept": 2, "rejected": 7, "judged": 9, "judge_passed": 2},
    }
    checks = judge_checks([], [], config, judged)
    assert {(c.check, c.skill, c.success) for c in checks.checks} == {
        ("corpus judge-pass rate", "alpha", True),
        ("corpus judge-pass rate", "beta", False),
        ("corpus rows kept", "alpha", True),
        ("corpus rows kept", "beta", True),
    }
    assert next(c for c in checks.failures).observed == pytest.approx(2 / 9, abs=1e-4)
    # Judged without a count of what the judge passed: the kept share of the skill's rows.
    counted = {"gamma": {"kept": 3, "rejected": 5, "judged": 6}}
    (rate, kept) = judge_checks([], [], config, counted).checks
    assert (rate.check, rate.observed, rate.n, rate.success) == (
        "corpus judge-pass rate",
        0.375,
        8,
        False,
    )
    assert (kept.check, kept.observed, kept.success) == ("corpus rows kept", 3, True)
