import json

import pytest

from procsft.analysis import analyze
from procsft.analysis.paths import PathMismatchError, check_paths
from procsft.analysis.rates import verdict_frame
from procsft.config import Analysis
from procsft.errors import DataError, ProcsftError
from procsft.inference.path import path_fingerprint
from procsft.testing.synthetic import make_study, path, verdict

FAST = Analysis(resamples=100)


def _frame(*rows):
    """Return a verdict table with one verdict per (configuration, path)."""
    return verdict_frame(
        verdict(name, "t0", "baseline", True, fingerprint=path_fingerprint(p)) for name, p in rows
    )


def test_matched_paths_differ_only_in_the_adapter():
    pre, post = path("m", "pre"), path("m", "post", adapter="a")
    check = check_paths(
        _frame(("m/pre", pre), ("m/post/lora/seed0", post)),
        {path_fingerprint(p): p for p in (pre, post)},
    )
    (comparison,) = check.comparisons
    assert comparison["relation"] == "pre vs post"
    assert comparison["differing_fields"] == ["adapter_sha256"]
    assert comparison["path_mismatch"] == [] and check.mismatches == {}


def test_a_merged_adapter_is_part_of_the_treatment_not_a_mismatch():
    pre = path("m", "pre")
    post = path("m", "post", adapter="a", adapter_merged=True)
    check = check_paths(
        _frame(("m/pre", pre), ("m/post/lora/seed0", post)),
        {path_fingerprint(p): p for p in (pre, post)},
    )
    (comparison,) = check.comparisons
    assert comparison["differing_fields"] == ["adapter_merged", "adapter_sha256"]
    assert comparison["path_mismatch"] == [] and check.mismatches == {}


def test_a_post_configuration_half_merged_is_refused_naming_the_field():
    unmerged = path("m", "post", adapter="a")
    merged = path("m", "post", adapter="a", adapter_merged=True)
    frame = _frame(("m/post/lora/seed0", unmerged), ("m/post/lora/seed0", merged))
    with pytest.raises(PathMismatchError, match="several paths differing in adapter_merged"):
        check_paths(frame, {path_fingerprint(p): p for p in (unmerged, merged)})


def test_pre_and_post_on_different_engines_are_refused_naming_the_field():
    pre = path("m", "pre", engine="ollama")
    post = path("m", "post", adapter="a")
    frame = _frame(("m/pre", pre), ("m/post/lora/seed0", post))
    with pytest.raises(PathMismatchError) as raised:
        check_paths(frame, {path_fingerprint(p): p for p in (pre, post)})
    assert isinstance(raised.value, ProcsftError) and raised.value.exit_code == 3
    message = str(raised.value)
    assert "m/post/lora/seed0 vs m/pre differ in engine" in message
    assert "adapter_sha256" not in message.split("differ in")[1].split(".")[0]


def test_a_configuration_on_two_paths_is_refused_naming_the_field():
    one, two = path("m", "pre"), path("m", "pre", engine_version="5.1")
    frame = _frame(("m/pre", one), ("m/pre", two))
    with pytest.raises(
        PathMismatchError, match="m/pre has episodes on several paths differing in engine_version"
    ):
        check_paths(frame, {path_fingerprint(p): p for p in (one, two)})


def test_different_sizes_may_differ_without_refusal():
    a, b = path("a", "pre"), path("b", "pre", dtype="bfloat16")
    check = check_paths(
        _frame(("a/pre", a), ("b/pre", b)), {path_fingerprint(p): p for p in (a, b)}
    )
    (comparison,) = check.comparisons
    assert "dtype" in comparison["differing_fields"] and comparison["path_mismatch"] == []


def test_a_fingerprint_without_its_path_is_a_data_error():
    with pytest.raises(DataError, match="m/pre: no inference path"):
        check_paths(_frame(("m/pre", path("m", "pre"))), {})


def test_analyze_refuses_mismatched_paths_and_writes_nothing(tmp_path):
    study = make_study(tasks=10, path_of={"s2/pre": path("s2", "pre", engine="ollama")})
    with pytest.raises(PathMismatchError, match="s2/post/lora/seed0 vs s2/pre differ in engine"):
        analyze(study.verdicts, study.paths, study.students, settings=FAST, out=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_allowed_mismatch_stamps_every_affected_number(tmp_path):
    study = make_study(tasks=10, path_of={"s2/pre": path("s2", "pre", engine="ollama")})
    summary = analyze(
        study.verdicts,
        study.paths,
        study.students,
        settings=FAST,
        out=tmp_path,
        allow_path_mismatch=True,
    )
    stamped = {(lift["size"], tuple(lift["path_mismatch"])) for lift in summary["lift"]}
    assert stamped == {("0.8B", ()), ("2B", ("engine",)), ("4B", ())}
    # Δ of one configuration compares no paths: only lifts across s2's pre and post are marked.
    assert all(d["path_mismatch"] == [] for d in summary["procedural_delta"])
    written = json.loads((tmp_path / "summary.json").read_text())
    assert written == summary and written["settings"]["allow_path_mismatch"]
    for report in ("report.md", "report.html"):
        assert "PATH MISMATCH (engine)" in (tmp_path / report).read_text()
