import subprocess

from procsft.config import Decoding
from procsft.distill import distill
from procsft.inference.protocol import Generation
from procsft.schema import CorpusRow, read_rows
from procsft.suite.build import build_suite
from procsft.suite.files import programmatic_teacher, write_suite
from tests.conftest import PROCSFT


class WrongTeacher:
    """A teacher that gets every other task wrong and forgets the ANSWER line on the rest."""

    path = {"engine": "test"}

    def generate(self, requests):
        return [
            Generation("1. ...\nANSWER: -999" if i % 2 else "1. ...\nso 5", "stop", 1, 1)
            for i, _ in enumerate(requests)
        ]


def test_programmatic_teacher_passes_every_task_and_a_bad_teacher_is_rejected():
    built = build_suite(seed=1, skill_ids=["median", "add-days", "fraction-addition"])
    kept, rejected = distill(
        built.corpus_tasks,
        built.skills,
        programmatic_teacher(built),
        "programmatic",
        decoding=Decoding(),
    )
    assert len(kept) == len(built.corpus_tasks) and not rejected
    kept, rejected = distill(
        built.corpus_tasks, built.skills, WrongTeacher(), "wrong", decoding=Decoding(), batch_size=4
    )
    assert not kept and len(rejected) == len(built.corpus_tasks)
    reasons = {r.reason.split(" ")[0] for r in rejected}
    assert reasons == {"no", "answer"}  # "no ANSWER: line", "answer '-999' differs …"


def test_distill_command_with_a_model_teacher_writes_rejects(tmp_path, tiny_model, subprocess_env):
    write_suite(tmp_path, build_suite(seed=0, corpus_per_skill=1, skill_ids=["median"]))
    result = subprocess.run(
        [
            *PROCSFT,
            "distill",
            "--suite",
            str(tmp_path),
            "--teacher",
            tiny_model.load_from,
            "--out",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        env=subprocess_env,
    )
    assert result.returncode == 0, result.stderr
    rejects = list(read_rows(tmp_path / "out" / "rejects.jsonl", CorpusRow))
    assert len(rejects) == 1 and rejects[0].verdict == "fail"  # a random model is never right
    assert (tmp_path / "out" / "manifest.json").exists()
