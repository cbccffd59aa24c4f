"""The validation stage on the built suite and on each kind of bad input."""

import json
import re
import shutil
import subprocess

import pytest

from procsft.errors import DataError
from procsft.suite.build import build_suite
from procsft.suite.files import write_suite
from procsft.validate import validate_suite
from tests.conftest import PROCSFT, run_folders, tiny_config, write_yaml


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("suite")
    write_suite(out, build_suite(seed=0))
    return out


@pytest.fixture
def suite(built, tmp_path):
    """A private copy of the built suite, to break."""
    shutil.copytree(built, tmp_path / "suite")
    return tmp_path / "suite"


def _validate(folder, **kwargs):
    return validate_suite(
        folder / "skills.jsonl", folder / "holdout.jsonl", folder / "corpus.jsonl", **kwargs
    )


def _lines(path):
    return path.read_text(encoding="utf-8").splitlines()


def _rewrite(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _edit_row(path, index, **changes):
    lines = _lines(path)
    lines[index] = json.dumps(json.loads(lines[index]) | changes)
    _rewrite(path, lines)


def test_built_suite_passes_every_expectation(suite):
    report = _validate(suite, max_length=1024)
    assert report.success, [f.line() for f in report.failures]
    assert report.counts == {"skills": 40, "holdout": 200, "corpus": 360}
    assert len(report.outcomes) >= 12
    report.write(suite)
    assert json.loads((suite / "validation.json").read_text())["success"] is True
    assert (suite / "validation.md").read_text().startswith("# Validation: passed")


@pytest.mark.parametrize(
    ("file", "mutate", "expected"),
    [
        ("holdout.jsonl", lambda ls: ls[:6] + ["{not json"] + ls[6:], ":7: malformed JSON"),
        ("holdout.jsonl", lambda ls: [*ls[:2], '{"task_id": "x"}', *ls[3:]], ":3: skill_id: "),
        (
            "skills.jsonl",
            lambda ls: [ls[0].replace('"steps": [', '"steps": 7, "x": ['), *ls[1:]],
            ":1: ",
        ),
        ("skills.jsonl", lambda ls: [], "no rows"),
    ],
)
def test_unparsable_rows_name_file_line_and_field(suite, file, mutate, expected):
    path = suite / file
    _rewrite(path, mutate(_lines(path)))
    with pytest.raises(DataError) as err:
        _validate(suite)
    assert str(err.value).startswith(str(path)) and expected in str(err.value)


def test_wrong_type_names_the_field(suite):
    _edit_row(suite / "holdout.jsonl", 4, tolerance="wide")
    with pytest.raises(DataError, match=r"holdout.jsonl:5: tolerance: "):
        _validate(suite)


def test_non_utf8_bytes(suite):
    path = suite / "corpus.jsonl"
    path.write_bytes(path.read_bytes() + b'{"row_id": "\xff\xfe"}\n')
    with pytest.raises(DataError, match=r"corpus.jsonl:361: not UTF-8"):
        _validate(suite)


@pytest.mark.parametrize("steps", [4, 6])
def test_skill_block_with_wrong_step_count(suite, steps):
    path = suite / "skills.jsonl"
    _edit_row(path, 2, steps=[f"Step {i}." for i in range(steps)])
    with pytest.raises(DataError, match=r"skills.jsonl:3: steps: List should have at"):
        _validate(suite)


def test_duplicate_ids_name_every_line(suite):
    path = suite / "holdout.jsonl"
    lines = _lines(path)
    first = json.loads(lines[0])["task_id"]
    _edit_row(path, 9, task_id=first)
    report = _validate(suite)
    (failure,) = [f for f in report.failures if f.description == "task_id is unique"]
    assert failure.examples == [f"line 1: {first}", f"line 10: {first}"]
    assert failure.line().startswith(f"{path}: task_id is unique: 2 rows fail")


@pytest.mark.parametrize(
    "disguise",
    [
        lambda text: text,
        lambda text: text.upper(),
        lambda text: "  " + text.replace(" ", "   ") + "\n",
        lambda text: re.sub(r"\$(\d+)", lambda m: f"$ {int(m.group(1)):,}.00", text),
    ],
)
def test_holdout_task_copied_into_corpus_is_a_leak(suite, disguise):
    holdout = [json.loads(line) for line in _lines(suite / "holdout.jsonl")]
    source = next(t for t in holdout if t["skill_id"] == "simple-interest")
    _edit_row(suite / "corpus.jsonl", 20, prompt=disguise(source["prompt"]))
    report = _validate(suite)
    (failure,) = report.failures
    assert failure.description == "no holdout task leaks into the corpus"
    row_id = json.loads(_lines(suite / "corpus.jsonl")[20])["row_id"]
    assert failure.examples == [f"line 21: {row_id}"]
    assert report.leaks[0]["holdout_id"] == source["task_id"]
    report.write(suite)
    assert source["task_id"] in (suite / "validation.md").read_text()


def test_failed_verdict_and_missing_answer_line(suite):
    _edit_row(suite / "corpus.jsonl", 3, verdict="fail")
    _edit_row(suite / "corpus.jsonl", 5, response="1. I thought about it.\nThe answer is 4.")
    failed = {f.description: f.examples for f in _validate(suite).failures}
    assert failed == {
        "judge verdict is pass": [failed["judge verdict is pass"][0]],
        "response ends in an ANSWER: line": [failed["response ends in an ANSWER: line"][0]],
    }
    assert failed["judge verdict is pass"][0].startswith("line 4: ")
    assert failed["response ends in an ANSWER: line"][0].startswith("line 6: ")


def test_token_length_and_coverage(suite):
    report = _validate(suite, max_length=64, count_tokens=lambda messages: 100)
    (failure,) = report.failures
    assert "at most 64 tokens (student tokenizer)" in failure.description
    lines = [line for line in _lines(suite / "corpus.jsonl") if '"skill_id": "median"' not in line]
    _rewrite(suite / "corpus.jsonl", lines)
    (failure,) = _validate(suite).failures
    assert failure.examples == ["skill median"]


def test_oversized_file_is_refused_without_reading_it(suite):
    path = suite / "corpus.jsonl"
    with path.open("r+b") as handle:
        handle.truncate(2 * 2**30)  # a sparse 2 GB file: no disk, no memory
    with pytest.raises(DataError, match=r"2048 MB is over the 256 MB limit"):
        _validate(suite)


def test_bad_user_data_stops_the_run_before_rollout(suite, tmp_path, cache_dir, subprocess_env):
    _edit_row(suite / "corpus.jsonl", 0, verdict="fail")
    config = tiny_config(tmp_path, cache_dir, subset={"skills": None, "tasks_per_skill": 1})
    config["suite"] = {
        name: str(suite / f"{name}.jsonl") for name in ("skills", "holdout", "corpus")
    }
    path = write_yaml(tmp_path / "c.yaml", config)
    result = subprocess.run(
        [*PROCSFT, "run", "--config", str(path)], capture_output=True, text=True, env=subprocess_env
    )
    assert result.returncode == 1
    assert "judge verdict is pass: 1 rows fail" in result.stdout
    assert "1 expectations failed" in result.stderr
    (run,) = run_folders(tmp_path / "runs")
    assert not list(run.glob("episodes.jsonl*"))
    assert (
        json.loads((run / "manifest.json").read_text())["stages"]["validate"]["status"] == "failed"
    )


def test_validate_command(built, tmp_path):
    result = subprocess.run(
        [*PROCSFT, "validate", "--suite", str(built), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "validation.json").exists()
