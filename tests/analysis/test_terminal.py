"""The summary printed at the end of a run, read on an 80-column terminal (issue 17)."""

import re

import pytest
from rich.console import Console

from procsft.analysis import analyze, print_table
from procsft.analysis.findings import interval, signed
from procsft.config import Analysis
from procsft.testing.synthetic import make_study

LOCAL = (("smollm2-135m", "135M", 134_515_008),)


@pytest.fixture(scope="module")
def local_like(tmp_path_factory):
    """The embedded study's shape: one 135M student, pre and post, three scorers."""
    study = make_study(
        sizes=LOCAL,
        tasks=40,
        scorers=("extractor", "extractor-lenient", "judge-smollm2"),
        reference=None,
        disagree=0.2,
    )
    return analyze(
        study.verdicts,
        study.paths,
        study.students,
        settings=Analysis(resamples=100),
        out=tmp_path_factory.mktemp("terminal"),
        extractors=("extractor", "extractor-lenient"),
    )


def _printed(summary, width=80):
    console = Console(record=True, width=width)
    print_table(summary, console)
    return console.export_text()


def test_fits_80_columns_and_never_cuts_a_configuration_name(local_like):
    text = _printed(local_like)
    assert max(len(line.rstrip()) for line in text.splitlines()) <= 80
    assert "…" not in text
    names = list(local_like["configurations"])
    assert "smollm2-135m/post/lora/seed0" in names
    lines = text.splitlines()
    for name in names:
        student, short = name.split("/", 1)
        # Each configuration's row shows its whole short name under its student's row.
        assert any(re.match(rf"^\s+{re.escape(short)}\s", line) for line in lines), name
    assert any(line.strip() == "smollm2-135m" for line in lines)
    legend = " ".join(text.split())
    assert "Names under a student omit it: post/lora/seed0 under smollm2-135m is" in legend
    assert "smollm2-135m/post/lora/seed0" in legend


def test_leads_with_the_lift_under_the_most_trusted_scorer_then_limits(local_like):
    text = _printed(local_like)
    first = text.index("SFT lift by size")
    assert first < text.index("Procedural Δ per configuration") < text.index("What limits it")
    (lift,) = [r for r in local_like["lift"] if r["scorer"] == "judge-smollm2"]
    row = next(line for line in text.splitlines() if line.startswith("135M"))
    assert "judge-smollm2" in row  # the LLM judge before the extractors
    assert f"{signed(lift['lift'])} {interval(lift['ci_low'], lift['ci_high'])}" in row
    flat = " ".join(text.split())
    assert "judge checks: none in this run" in flat
    assert "seeds: one training seed" in flat


def test_a_wide_terminal_prints_the_same_rows(local_like):
    narrow, wide = _printed(local_like), _printed(local_like, width=160)
    rows = [r for r in narrow.splitlines() if r.startswith("135M")]
    assert [r.split() for r in rows] == [
        r.split() for r in wide.splitlines() if r.startswith("135M")
    ]


def test_three_sizes_two_seeds_and_a_reference_fit_80_columns(tmp_path):
    sizes = (("qwen3.5-0.8b", "0.8B", 8e8), ("qwen3.5-2b", "2B", 2e9), ("qwen3.5-4b", "4B", 4e9))
    study = make_study(
        sizes=sizes,
        tasks=20,
        scorers=("extractor", "extractor-lenient", "judge-haiku", "judge-gpt"),
        train_seeds=(0, 1),
        reference="claude-haiku-4.5",
    )
    summary = analyze(
        study.verdicts,
        study.paths,
        study.students,
        settings=Analysis(resamples=100),
        out=tmp_path,
        extractors=("extractor", "extractor-lenient"),
    )
    text = _printed(summary)
    lines = text.splitlines()
    assert max(len(line.rstrip()) for line in lines) <= 80 and "…" not in text
    for name in summary["configurations"]:
        student, short = name.split("/", 1)
        assert any(re.match(rf"^\s+{re.escape(short)}\s", line) for line in lines), name
        assert any(line.strip() == student for line in lines), student
    answer = [line for line in lines if re.match(r"^(0\.8B|2B|4B|ref) ", line)]
    assert len(answer) == 3 * 4 + 4  # each size × scorer, and the reference's Δ per scorer
