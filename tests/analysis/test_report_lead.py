"""The report leads with the answer, then what limits it, then the judge checks (issue 17)."""

import copy

import pytest

from procsft.analysis import analyze
from procsft.analysis.lead import answer_rows, scorer_order
from procsft.analysis.limits import limits, tasks_to_exclude_zero
from procsft.analysis.report import sections, to_markdown
from procsft.config import Analysis
from procsft.testing.synthetic import make_study, path


@pytest.fixture(scope="module")
def summary(tmp_path_factory):
    study = make_study(
        tasks=20,
        scorers=("extractor", "judge"),
        new=("s4",),
        p={("post", "curated"): 0.8},
    )
    verdicts = [
        v.model_copy(update={"passed": None}) if v.scorer == "extractor" and i % 9 == 0 else v
        for i, v in enumerate(study.verdicts)
    ]
    return analyze(
        verdicts,
        study.paths,
        study.students,
        settings=Analysis(resamples=100),
        out=tmp_path_factory.mktemp("lead"),
    )


def test_sections_lead_with_the_answer_limits_and_judge_checks(summary):
    titles = [s.title for s in sections(summary)]
    assert titles[:3] == ["The answer", "What limits it", "Judge checks"]
    assert all(s.lead for s in sections(summary)[:3])
    assert not any(s.lead for s in sections(summary)[3:])
    markdown = to_markdown(summary)
    assert markdown.index("## The answer") < markdown.index("## What limits it")
    assert markdown.index("## Judge checks") < markdown.index("## Trajectory across sizes")
    assert "No judge checks in this summary" in markdown


def test_the_answer_gives_per_size_delta_pre_post_and_lift_judges_first(summary):
    assert scorer_order(summary) == ["judge", "extractor"]
    rows = [r for r in answer_rows(summary) if r.lift]
    assert [(r.size, r.scorer) for r in rows] == [
        (size, scorer) for size in ("0.8B", "2B", "4B") for scorer in ("judge", "extractor")
    ]
    for row in rows:
        assert row.pre["configuration"] == row.lift["pre_configuration"]
        assert [d["configuration"] for d in row.post] == row.lift["post_configurations"]
    (answer, *_) = sections(summary)
    assert answer.items[0].startswith("SFT lift under judge: 0.8B ")
    assert "Other scorers establish it: extractor at" in answer.items[1]
    assert answer.items[-1].startswith("The paper's prediction overall:")


def test_limits_name_undecided_verdicts_and_too_few_tasks(summary):
    found, fine = limits(summary)
    kinds = [limit.kind for limit in found]
    assert kinds == ["judge checks", "undecided", "too few tasks", "seeds"][: len(kinds)]
    assert "undecided" in kinds
    undecided = found[kinds.index("undecided")]
    total = sum(r["undecided"] for r in summary["pass_rates"] if r["scorer"] == "extractor")
    assert f"extractor {total} of " in undecided.text
    assert undecided.links == [("extractor", "episodes.html#scorer=extractor&verdict=undecided")]
    assert "every Δ and lift pairs episodes of one inference path" in fine


def test_tasks_needed_grow_with_the_square_of_the_interval_over_the_lift():
    lift = {"lift": 0.05, "ci_low": -0.05, "ci_high": 0.15, "n_tasks": 40}
    assert tasks_to_exclude_zero(lift) == 160  # half-width 0.1 = 2 × lift: 4 × the tasks
    assert tasks_to_exclude_zero(lift | {"lift": 0.0}) is None


def test_judge_checks_are_rendered_ranked_first_and_demote_their_scorer(summary):
    checked = copy.deepcopy(summary)
    checked["judge_checks"] = {
        "mode": "warn",
        "checks": [
            {"check": "pass rate within bounds", "scorer": "judge", "success": False,
             "observed": 1.0, "bounds": [0.05, 0.95]},
            {"check": "undecided share", "scorer": "extractor", "success": True, "observed": 0.1},
        ],
    }  # fmt: skip
    found, _ = limits(checked)
    assert found[0].kind == "judge checks"
    assert found[0].text.startswith("1 of 2 failed: pass rate within bounds (judge): 1.0")
    assert scorer_order(checked) == ["extractor", "judge"]  # a flagged judge is trusted last
    markdown = to_markdown(checked)
    section = markdown[markdown.index("## Judge checks") : markdown.index("## Trajectory")]
    assert "| check | scorer | success | observed |" in section
    row = "| pass rate within bounds | [judge](episodes.html#scorer=judge) | false | 1.0 |"
    assert row in section


def test_a_path_mismatch_is_a_limit_before_undecided_verdicts(tmp_path):
    study = make_study(
        sizes=(("m", "1B", 1),),
        tasks=10,
        reference=None,
        path_of={"m/post/lora/seed0": path("m", "post", "a", dtype="bfloat16")},
    )
    summary = analyze(
        study.verdicts,
        study.paths,
        study.students,
        settings=Analysis(resamples=100),
        out=tmp_path,
        allow_path_mismatch=True,
    )
    found, _ = limits(summary)
    mismatch = next(limit for limit in found if limit.kind == "path mismatch")
    assert "they differ in dtype" in mismatch.text
    assert [limit.kind for limit in found].index("path mismatch") == 1
