import json
import signal
import subprocess
import sys
import time

import pytest

from procsft.errors import DataError
from procsft.schema import RowLog, Skill, Task, read_rows, write_rows

SKILL = Skill(
    skill_id="s1", name="S", domain="d", steps=["a", "b", "c", "d", "e"], answer_type="integer"
)


def _task(i: int) -> Task:
    return Task(
        task_id=f"t{i}",
        skill_id="s1",
        split="holdout",
        prompt=f"p{i}",
        answer_type="integer",
        reference=str(i),
    )


def test_round_trip(tmp_path):
    path = tmp_path / "tasks.jsonl"
    tasks = [_task(i) for i in range(5)]
    write_rows(path, tasks)
    assert list(read_rows(path, Task)) == tasks
    assert not list(tmp_path.glob(".*tmp"))


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (b"{not json", "malformed JSON"),
        (b'{"task_id": "t9"}', "skill_id: Field required"),
        (b"\xff\xfe garbage", "not UTF-8"),
        (b"[1, 2]", "expected a JSON object"),
    ],
)
def test_bad_line_names_file_line_and_field(tmp_path, line, expected):
    path = tmp_path / "tasks.jsonl"
    write_rows(path, [_task(1)])
    path.write_bytes(path.read_bytes() + line + b"\n")
    with pytest.raises(DataError) as err:
        list(read_rows(path, Task))
    assert str(err.value).startswith(f"{path}:2: ")
    assert expected in str(err.value)


def test_wrong_type_and_unknown_field(tmp_path):
    path = tmp_path / "skills.jsonl"
    row = SKILL.model_dump()
    path.write_text(json.dumps(row | {"steps": "one"}) + "\n" + json.dumps(row | {"x": 1}) + "\n")
    with pytest.raises(DataError, match=r":1: steps: "):
        list(read_rows(path, Skill))
    path.write_text(json.dumps(row | {"x": 1}) + "\n")
    with pytest.raises(DataError, match=r":1: x: unknown field"):
        list(read_rows(path, Skill))


def test_skill_block_needs_exactly_five_steps():
    for steps in (["a"] * 4, ["a"] * 6):
        with pytest.raises(ValueError):
            Skill(skill_id="s", name="n", domain="d", steps=steps, answer_type="integer")
    assert SKILL.block().splitlines()[1:] == ["1. a", "2. b", "3. c", "4. d", "5. e"]


def test_task_needs_reference_or_rubric():
    with pytest.raises(ValueError, match="reference answer or a rubric"):
        Task(task_id="t", skill_id="s", split="holdout", prompt="p", answer_type="integer")


def test_rowlog_resumes_without_duplicates_and_finalizes_in_order(tmp_path):
    path = tmp_path / "tasks.jsonl"
    log = RowLog(path, Task)
    log.append([_task(0), _task(1)])
    assert not path.exists()  # only the partial file exists until finalize
    resumed = RowLog(path, Task)
    resumed.append([_task(1), _task(2)])  # t1 is known: skipped, not duplicated
    lines = resumed.partial.read_text().splitlines()
    assert [json.loads(x)["task_id"] for x in lines] == ["t0", "t1", "t2"]
    rows = resumed.finalize(["t2", "t0", "t1"])
    assert [r.task_id for r in rows] == ["t2", "t0", "t1"]
    assert [t.task_id for t in read_rows(path, Task)] == ["t2", "t0", "t1"]
    assert not resumed.partial.exists()


def test_rowlog_finalize_refuses_missing_rows(tmp_path):
    log = RowLog(tmp_path / "tasks.jsonl", Task)
    log.append([_task(0)])
    with pytest.raises(DataError, match="1 rows missing"):
        log.finalize(["t0", "t1"])
    assert not (tmp_path / "tasks.jsonl").exists()


def test_rowlog_cuts_a_torn_last_line(tmp_path):
    path = tmp_path / "tasks.jsonl"
    RowLog(path, Task).append([_task(0)])
    partial = path.with_name("tasks.jsonl.partial")
    partial.write_bytes(partial.read_bytes() + b'{"task_id": "t1", "ski')
    log = RowLog(path, Task)
    assert "t0" in log and "t1" not in log
    log.append([_task(1)])
    assert [r.task_id for r in read_rows(partial, Task)] == ["t0", "t1"]


WRITER = """
import sys
from procsft.schema import RowLog, Task
log = RowLog(sys.argv[1], Task)
i = 0
while True:
    log.append([Task(task_id=f"t{i}", skill_id="s1", split="holdout", prompt="x" * 5000,
                     answer_type="integer", reference=str(i)) for i in range(i, i + 3)])
    i += 3
"""


def test_kill_during_writes_leaves_no_torn_row(tmp_path):
    path = tmp_path / "tasks.jsonl"
    partial = path.with_name("tasks.jsonl.partial")
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path)])
    deadline = time.monotonic() + 60
    while (
        not partial.exists() or partial.stat().st_size < 200_000
    ) and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not path.exists()
    log = RowLog(path, Task)
    keys = [r.task_id for r in read_rows(partial, Task)]
    assert keys == [f"t{i}" for i in range(len(keys))] and len(keys) > 10
    assert all(k in log for k in keys)
