import json
import subprocess

from procsft.leakage import LeakIndex
from procsft.schema import CorpusRow, Task, read_rows
from procsft.suite.build import build_suite
from tests.conftest import PROCSFT


def test_counts_and_free_form_share():
    built = build_suite(seed=0)
    assert (len(built.skills), len(built.holdout), len(built.corpus_tasks)) == (40, 200, 360)
    assert len({s.domain for s in built.skills}) >= 6
    assert {s.answer_type for s in built.skills} == {
        "integer",
        "decimal",
        "fraction",
        "date",
        "string",
        "list",
    }
    free_form = [t for t in built.holdout if t.reference is None]
    assert 0.15 <= len(free_form) / len(built.holdout) <= 0.18
    assert all(t.rubric for t in free_form)


def test_corpus_is_disjoint_from_holdout_and_solutions_cover_it():
    built = build_suite(seed=5)
    index = LeakIndex([(t.task_id, t.prompt) for t in built.holdout])
    assert index.leaks([(t.task_id, t.prompt) for t in built.corpus_tasks]) == []
    assert set(built.solutions) == {t.task_id for t in built.corpus_tasks}


def test_a_subset_keeps_each_skills_holdout():
    whole = build_suite(seed=2)
    part = build_suite(seed=2, skill_ids=["median", "add-days"])
    expected = [t for t in whole.holdout if t.skill_id in ("median", "add-days")]
    assert sorted(part.holdout, key=lambda t: t.task_id) == sorted(
        expected, key=lambda t: t.task_id
    )


def test_build_command_is_byte_identical_and_distills_all_rows(tmp_path):
    for out in ("a", "b"):
        cmd = [*PROCSFT, "suite", "build", "--out", str(tmp_path / out), "--seed", "7"]
        subprocess.run(cmd, check=True, capture_output=True)
    for name in ("skills", "holdout", "corpus_tasks", "corpus", "rejects", "manifest"):
        suffix = ".json" if name == "manifest" else ".jsonl"
        a, b = (tmp_path / d / f"{name}{suffix}" for d in ("a", "b"))
        assert a.read_bytes() == b.read_bytes(), name
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert manifest["counts"]["corpus"] >= 353 and manifest["counts"]["rejects"] == 0
    assert set(manifest["sha256"]) >= {"skills.jsonl", "holdout.jsonl", "corpus.jsonl"}
    rows = list(read_rows(tmp_path / "a" / "corpus.jsonl", CorpusRow))
    assert all(
        r.verdict == "pass" and r.response.splitlines()[-1].startswith("ANSWER: ") for r in rows
    )
    assert {r.task_id for r in rows} == {
        t.task_id for t in read_rows(tmp_path / "a" / "corpus_tasks.jsonl", Task)
    }


def test_schema_command_prints_every_row_model():
    out = subprocess.run([*PROCSFT, "suite", "schema"], capture_output=True, text=True, check=True)
    schemas = json.loads(out.stdout)
    assert set(schemas) == {"Skill", "Task", "CorpusRow"}
    assert schemas["Skill"]["properties"]["steps"]["minItems"] == 5
