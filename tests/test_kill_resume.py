"""Kill-and-resume campaign: the tiny pre/post study, judged by a loopback LLM judge, published
to a local artifact store and a sqlite MLflow, is killed with SIGKILL at eight points — during
the suite build, validation, training, rollout, LLM judging, analysis, artifact upload and
MLflow logging — and resumed each time. Each resumed folder must equal one uninterrupted run's:
the same rows byte for byte (greedy decoding on CPU), no row lost or doubled, the same adapter
weights and numbers, nothing half-written left over, and no judge reply paid for twice.

How a kill is made to land inside its stage, never by sleeping:

- Polled from outside, on the unmodified `procsft run` (stages long enough, or made so by the
  config or the loopback judge): `train` (a checkpoint of step ≥ 6 of 16 exists), `rollout` (the
  post-SFT shard's `.partial` holds a row; batches of one prompt keep it open for about a
  second), `judge` (the judge answers the first requests and holds the others; the kill comes
  once every answered reply is in the verdict cache, so the held ones are exactly the requests
  in flight) and `mlflow` (MLflow has stored a child run's artifacts).
- Frozen in place: `suite`, `validate`, `analyze` and `upload` write their outputs within
  milliseconds, too fast for any poll. The child runs `procsft run` through a launcher that
  wraps one internal writer of that stage; after its n-th call the process stops itself
  (SIGSTOP, nothing else changes), the test sees it stopped and kills it with SIGKILL.

Either way, after the kill the test asserts the stage had begun and had not finished.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from procsft.config import load_config
from procsft.testing.loopback_llm import LoopbackLLMServer, last_user_text
from tests.conftest import PROCSFT, tiny_config, write_yaml

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/<pid>/stat"),
]

# The recipe that passes the adapter probe on the tiny model (tests/test_post_stage.py):
# 8 corpus rows, batch 2, 4 epochs: 16 optimizer steps, a checkpoint every 2.
RECIPE = {"name": "hot", "learning_rate": 0.05, "epochs": 4, "batch_size": 2}
SUBSET = {"skills": ["gcd-euclid", "median"], "tasks_per_skill": 2, "corpus_rows": 8}
EPISODES = 16  # 2 configurations × 2 skills × 2 tasks × 2 conditions
POST_SHARD = "tiny__post__hot__seed0.jsonl"
ADAPTER = Path("train/tiny/hot/seed0")
KEY_ENV = "KILL_RESUME_JUDGE_KEY"
JUDGE_ANSWERS = 2  # the judge kill: replies answered before it, the others are held (a tiny
# model that emits only whitespace leaves as few as four distinct grading requests)
TIMEOUT_S = 300

# Run summary facts that measure one process's wall time, not the run.
TIMING = {"seconds", "tokens_per_second", "generated_now"}  # and what the last one made
# Run summary facts that count work (rows generated, judge requests and what they cost): the
# main test leaves them out; test_resumed_summary_reports_the_whole_run checks them.
PER_PROCESS = {
    "rollout": {"generated", "completion_tokens", "cost_usd"},
    "judge": {
        "requests",
        "cached",
        "errors",
        "unparseable",
        "prompt_tokens",
        "completion_tokens",
        "cost_usd",
    },
}
# train_meta.json facts of the training process rather than of the adapter.
TRAIN_TIMING = {"train_seconds", "wall_seconds", "tokens_per_second", "peak_rss_mb"}


def judge_reply(user_text: str) -> str:
    """A deterministic judge: a rationale that quotes a digest, then the verdict line."""
    block = user_text.split("<student_response>")[-1].split("</student_response>")[0]
    digest = hashlib.sha256(user_text.encode()).hexdigest()[:8]
    verdict = "PASS" if "ANSWER:" in block else "FAIL"
    return f"Checked the response ({digest}).\nVERDICT: {verdict}"


class Gate:
    """The loopback judge's responder. Open, it answers at once; after `close_after(limit)` it
    answers the first `limit` requests and holds every later one until `release()`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._released = threading.Event()
        self.limit: int | None = None
        self.answered: list[str] = []
        self.held: list[str] = []

    def close_after(self, limit: int) -> None:
        with self._lock:
            self.limit, self.answered, self.held = limit, [], []
            self._released.clear()

    def release(self) -> None:
        with self._lock:
            self.limit = None
        self._released.set()

    def __call__(self, user_text: str) -> str:
        with self._lock:
            hold = self.limit is not None and len(self.answered) >= self.limit
            if self.limit is not None:
                (self.held if hold else self.answered).append(user_text)
        if hold:
            self._released.wait(TIMEOUT_S)  # a held reply is sent after the kill, to no one
        return judge_reply(user_text)


@pytest.fixture(scope="module")
def judge_server():
    gate = Gate()
    with LoopbackLLMServer() as server:
        server.respond_with(gate)
        server.gate = gate
        yield server


def request_id(body: Any) -> str:
    """Return the identity of a judge request: the sha256 of its JSON body's messages."""
    messages = body.get("messages") if isinstance(body, dict) else body
    return hashlib.sha256(json.dumps(messages, sort_keys=True).encode()).hexdigest()


# ----------------------------------------------------------------------------- one study


@dataclass
class Study:
    """One run of the study in its own folders: runs, artifact store, MLflow db, cache."""

    root: Path
    server: LoopbackLLMServer
    models: Path
    config: Path = field(init=False)
    run: Path = field(init=False)

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        cache = self.cache
        cache.mkdir()
        # The tiny model is built once for the session; each study keeps its own verdict cache.
        (cache / "models").symlink_to(self.models, target_is_directory=True)
        judge = {
            "name": "judge",
            "kind": "llm",
            "backend": "openai",
            "model": "grader",
            "base_url": f"{self.server.url}/v1",
            "api_key_env": KEY_ENV,
            "max_concurrency": 4,
            "max_new_tokens": 64,
        }
        config = tiny_config(
            self.root,
            cache,
            stages=["pre", "post"],
            recipes=[RECIPE],
            subset=SUBSET,
            # Batches of one 64-token prompt keep each rollout shard open for about a second.
            decoding={"max_new_tokens": 64},
            compute={"device": "cpu", "batch_size": 1, "threads": 1, "checkpoint_every": 2},
            scorers=[
                {"name": "extractor", "kind": "extractor"},
                {"name": "extractor-lenient", "kind": "extractor", "lenient": True},
                judge,
            ],
        )
        config["storage"]["artifacts"] = self.store.as_uri()
        config["storage"]["tracking_uri"] = f"sqlite:///{self.mlflow_db}"
        self.config = write_yaml(self.root / "study.yaml", config)
        self.run = self.runs / load_config(self.config).run_id()

    @property
    def runs(self) -> Path:
        return self.root / "runs"

    @property
    def cache(self) -> Path:
        return self.root / "cache"

    @property
    def store(self) -> Path:
        return self.root / "store"

    @property
    def mlflow_db(self) -> Path:
        return self.root / "mlflow.db"

    def key(self, attempt: str) -> str:
        """Return the judge API key of `attempt`: it names the attempt, so the loopback server
        tells their requests apart (and, like a real key, appears in no file: procsft
        redacts any text equal to it)."""
        return f"sk-loopback-{self.root.name}-{attempt}"

    def env(self, attempt: str) -> dict[str, str]:
        return {
            **os.environ,
            "PROCSFT_CACHE": str(self.cache),
            "PYTHONUNBUFFERED": "1",
            "OMP_NUM_THREADS": "1",  # one thread: the same float sums in every process
            KEY_ENV: self.key(attempt),
        }

    def start(self, attempt: str, freeze: tuple[str, int] | None = None) -> subprocess.Popen:
        """Start `procsft run` (through the freezing launcher when `freeze` is given)."""
        cli = ["run", "--config", str(self.config)]
        if freeze is None:
            args = [*PROCSFT, *cli]
        else:
            args = [sys.executable, "-c", FREEZE_LAUNCHER, freeze[0], str(freeze[1]), *cli]
        log = (self.root / f"{attempt}.log").open("wb")
        with log:
            return subprocess.Popen(
                args,
                env=self.env(attempt),
                cwd=self.root,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: the kill leaves no helper
            )

    def run_to_end(self, attempt: str) -> None:
        proc = self.start(attempt)
        try:
            rc = proc.wait(timeout=TIMEOUT_S)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        assert rc == 0, f"{attempt}: exit {rc}\n{self.log_tail(attempt)}"

    def log_tail(self, attempt: str) -> str:
        path = self.root / f"{attempt}.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def requests(self, attempt: str) -> list[str]:
        """Return the ids of the judge requests `attempt` sent, in arrival order."""
        bearer = f"Bearer {self.key(attempt)}"
        return [
            request_id(r.body)
            for r in list(self.server.requests)
            if r.headers.get("authorization") == bearer
        ]

    def cached_verdicts(self) -> int:
        return len(list((self.cache / "verdicts").glob("*/*.json")))

    def stage_status(self, stage: str) -> str:
        manifest = self.run / "manifest.json"
        if not manifest.exists():
            return "pending"
        return json.loads(manifest.read_text())["stages"][stage]["status"]

    def mlflow_rows(self) -> dict[str, Any]:
        """Return the runs, completion tags and model versions in the MLflow database."""
        with sqlite3.connect(self.mlflow_db, timeout=30) as db:
            runs = [row[0] for row in db.execute("SELECT name FROM runs")]
            complete = db.execute(
                "SELECT count(*) FROM tags WHERE key = 'procsft.complete' AND value = 'true'"
            ).fetchone()[0]
            versions = list(db.execute("SELECT name, version FROM model_versions"))
        db.close()
        return {"runs": sorted(runs), "complete": complete, "versions": sorted(versions)}


# The launcher of a frozen kill point: `procsft <args>` with one function wrapped so that after
# its n-th call returns the process stops itself, to be killed exactly there.
FREEZE_LAUNCHER = """
import importlib, os, signal, sys

target, after = sys.argv[1], int(sys.argv[2])
module, _, attribute = target.partition(":")
owner = importlib.import_module(module)
*path, name = attribute.split(".")
for part in path:
    owner = getattr(owner, part)
original = getattr(owner, name)
calls = 0

def frozen(*args, **kwargs):
    global calls
    result = original(*args, **kwargs)
    calls += 1
    if calls == after:
        os.kill(os.getpid(), signal.SIGSTOP)
    return result

setattr(owner, name, frozen)
from procsft.cli import main

sys.exit(main(sys.argv[3:]))
"""


def stopped(pid: int) -> bool:
    """Return whether process `pid` is stopped (state T in /proc/<pid>/stat)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] in ("T", "t")


# ----------------------------------------------------------------------------- kill points


@dataclass(frozen=True)
class Point:
    name: str
    inside: Callable[[Study], None]
    """Asserts, after the kill, that the stage had begun and not finished."""
    freeze: tuple[str, int] | None = None
    """("module:function", n): the process stops itself after the n-th call."""
    reached: Callable[[Study], bool] | None = None
    """Polled from outside: true once the process is inside the stage."""


def _suite_inside(s: Study) -> None:
    assert (s.run / "suite.tmp" / "holdout.jsonl").is_file()
    assert not (s.run / "suite.tmp" / "corpus.jsonl").exists()
    assert not (s.run / "suite").exists() and not (s.run / "manifest.json").exists()


def _validate_inside(s: Study) -> None:
    assert s.stage_status("suite") == "done"
    assert (s.run / "validate" / "validation.json").is_file()
    assert not (s.run / "validate" / "validation.md").exists()
    assert s.stage_status("validate") == "pending"


def _checkpoints(s: Study) -> list[int]:
    folder = s.run / ADAPTER.parent / f".{ADAPTER.name}.partial" / "checkpoints"
    return [
        int(p.parent.name.removeprefix("checkpoint-"))
        for p in folder.glob("checkpoint-*/trainer_state.json")
    ]


def _train_reached(s: Study) -> bool:
    return max(_checkpoints(s), default=0) >= 6


def _train_inside(s: Study) -> None:
    assert _checkpoints(s), "no checkpoint left to resume from"
    assert not (s.run / ADAPTER).exists() and s.stage_status("train") == "pending"


def _rows_in(path: Path) -> int:
    """Return the whole rows in a JSONL file (a torn last line not counted)."""
    return path.read_bytes().count(b"\n") if path.exists() else 0


def _rollout_reached(s: Study) -> bool:
    return _rows_in(s.run / "rollout" / f"{POST_SHARD}.partial") >= 1


def _rollout_inside(s: Study) -> None:
    assert (s.run / "rollout" / "tiny__pre.jsonl").is_file()
    assert 1 <= _rows_in(s.run / "rollout" / f"{POST_SHARD}.partial") < EPISODES // 2
    assert not (s.run / "rollout" / POST_SHARD).exists() and not (s.run / "episodes.jsonl").exists()


def _judge_reached(s: Study) -> bool:
    gate = s.server.gate
    answered = len(set(gate.answered))
    # Every answered reply is cached, and more requests wait: those are the ones in flight.
    held = bool(gate.held)
    return len(gate.answered) >= JUDGE_ANSWERS and held and s.cached_verdicts() == answered


def _judge_inside(s: Study) -> None:
    assert (s.run / "episodes.jsonl").is_file()
    assert (s.run / "verdicts.jsonl.partial").is_file()
    assert not (s.run / "verdicts.jsonl").exists() and s.stage_status("judge") == "pending"


def _analyze_inside(s: Study) -> None:
    assert s.stage_status("judge") == "done"
    assert (s.run / "plots" / "trajectory-hot.png").is_file()
    assert not (s.run / "plots" / "skill-lift-hot.png").exists()
    assert not (s.run / "summary.json").exists() and s.stage_status("analyze") == "pending"


def _upload_inside(s: Study) -> None:
    assert s.stage_status("analyze") == "done"
    stored = [p for p in (s.store / s.run.name).rglob("*") if p.is_file()]
    assert len(stored) >= 5
    assert not (s.store / s.run.name / "run_manifest.json").exists()
    assert not (s.run / "run_manifest.json").exists()


def _mlflow_reached(s: Study) -> bool:
    artifacts = s.runs / "_mlflow" / "artifacts"
    return artifacts.exists() and any(p.is_file() for p in artifacts.rglob("*"))


def _mlflow_inside(s: Study) -> None:
    assert (s.store / s.run.name / "run_manifest.json").is_file()  # the upload had finished
    logged = s.mlflow_rows()
    assert logged["runs"] and logged["complete"] == 0 and not logged["versions"]


POINTS = [
    # Suite build: skills and holdout written into suite.tmp/, the corpus not yet.
    Point("suite", _suite_inside, freeze=("procsft.suite.files:write_rows", 2)),
    # Validation: validation.json written, validation.md not, the stage not recorded.
    Point("validate", _validate_inside, freeze=("procsft.validate:write_text_atomic", 1)),
    Point("train", _train_inside, reached=_train_reached),
    Point("rollout", _rollout_inside, reached=_rollout_reached),
    Point("judge", _judge_inside, reached=_judge_reached),
    # Analysis: the first plot saved, the second plot and summary.json not.
    Point("analyze", _analyze_inside, freeze=("procsft.analysis.trajectory:_save", 1)),
    # Artifact upload: five files copied into the store, the run manifest not written.
    Point("upload", _upload_inside, freeze=("procsft.store.artifacts:LocalStore.put", 5)),
    Point("mlflow", _mlflow_inside, reached=_mlflow_reached),
]


# ----------------------------------------------------------------------------- the campaign


@dataclass
class Resumed:
    study: Study
    point: Point
    killed: list[str]
    """Ids of the judge requests the killed attempt sent."""
    paid: set[str]
    """Ids of those whose reply reached the killed attempt (and its verdict cache)."""
    in_flight: int
    """Requests the killed attempt had sent and got no reply to (held by the judge)."""
    resumed: list[str]
    """Ids of the judge requests the resume sent."""
    rollout_rows_at_kill: int


@pytest.fixture(scope="module")
def reference(tmp_path_factory, cache_dir, judge_server) -> Study:
    """One uninterrupted run of the same study."""
    models = cache_dir / "models"
    models.mkdir(exist_ok=True)
    study = Study(tmp_path_factory.mktemp("reference"), judge_server, models)
    study.run_to_end("reference")
    return study


@pytest.fixture(scope="module")
def campaign(tmp_path_factory, cache_dir, judge_server) -> Callable[[Point], Resumed]:
    """Return the killed-and-resumed run of a point, made on first use."""
    done: dict[str, Resumed] = {}

    def get(point: Point) -> Resumed:
        if point.name not in done:
            root = tmp_path_factory.mktemp(f"killed-{point.name}")
            models = cache_dir / "models"
            models.mkdir(exist_ok=True)
            done[point.name] = kill_and_resume(Study(root, judge_server, models), point)
        return done[point.name]

    return get


def kill_and_resume(study: Study, point: Point) -> Resumed:
    gate = study.server.gate
    if point.name == "judge":
        gate.close_after(JUDGE_ANSWERS)
    proc = study.start("killed", point.freeze)
    try:
        reached = point.reached or (lambda _: stopped(proc.pid))
        deadline = time.monotonic() + TIMEOUT_S
        while not reached(study):
            assert proc.poll() is None, (
                f"{point.name}: the run ended (exit {proc.returncode}) before the kill point\n"
                + study.log_tail("killed")
            )
            assert time.monotonic() < deadline, f"{point.name}: kill point not reached"
            time.sleep(0.005)
        paid_texts = list(gate.answered)  # the gate is closed: no more replies go out
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        held = len(gate.held) if point.name == "judge" else 0
        gate.release()
    assert proc.returncode == -signal.SIGKILL, f"{point.name}: the run finished unkilled"
    point.inside(study)
    killed = study.requests("killed")
    if point.name == "judge":
        paid = {request_id(_judge_body(study, text)) for text in paid_texts}
    elif (study.run / "verdicts.jsonl").exists():
        paid = set(killed)  # judging had finished: every reply had arrived
    else:
        assert killed == [], "judge requests before the judge stage"
        paid = set()
    rows = _rows_in(study.run / "rollout" / f"{POST_SHARD}.partial")

    study.run_to_end("resumed")
    return Resumed(study, point, killed, paid, held, study.requests("resumed"), rows)


def _judge_body(study: Study, user_text: str) -> Any:
    """Return the body of the killed attempt's request with this user text."""
    for r in list(study.server.requests):
        ours = r.headers.get("authorization") == f"Bearer {study.key('killed')}"
        if ours and last_user_text(r.body) == user_text:
            return r.body
    raise AssertionError("an answered judge request the server did not record")


def _files(root: Path) -> dict[str, Path]:
    return {p.relative_to(root).as_posix(): p for p in root.rglob("*") if p.is_file()}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _without(data: Any, drop: set[str]) -> Any:
    if isinstance(data, dict):
        return {k: _without(v, drop) for k, v in data.items() if k not in drop}
    if isinstance(data, list):
        return [_without(v, drop) for v in data]
    return data


def _summary(run: Path, per_process: bool) -> dict:
    """Return summary.json without timing facts (and without per-process counts if asked)."""
    summary = json.loads((run / "summary.json").read_text())
    info = summary["run"]
    info["rollout"] = _without(info["rollout"], TIMING)
    if per_process:
        info["rollout"] = _without(info["rollout"], PER_PROCESS["rollout"])
        info["judge"] = _without(info["judge"], PER_PROCESS["judge"])
    return summary


IDS = [p.name for p in POINTS]
# Kill points before the rollout: the resume generates and judges everything itself.
STAGES_REDONE = ("suite", "validate", "train")


@pytest.mark.parametrize("point", POINTS, ids=IDS)
def test_killed_run_resumes_to_the_uninterrupted_run(point, campaign, reference):
    got = campaign(point)
    run, ref = got.study.run, reference.run
    assert run.name == ref.name

    # Every file an uninterrupted run has, and nothing else: no .partial, .tmp or suite.tmp.
    files, ref_files = _files(run), _files(ref)
    assert sorted(files) == sorted(ref_files)
    assert not [p for p in run.rglob("*") if ".partial" in p.name or p.name.endswith(".tmp")]

    # The rows, byte for byte: suite, shards, episodes, verdicts; the adapter's weights.
    # (SVG plots carry their date; the adapter's config and meta are compared below.)
    same_bytes = [
        name
        for name in ref_files
        if name.endswith(".jsonl")
        or name in ("agreement.json", f"{ADAPTER}/adapter_model.safetensors")
        or (name.startswith(("suite/", "plots/")) and not name.endswith(".svg"))
    ]
    assert {"episodes.jsonl", "verdicts.jsonl", f"{ADAPTER}/adapter_model.safetensors"} <= set(
        same_bytes
    )
    differ = [name for name in same_bytes if _sha(files[name]) != _sha(ref_files[name])]
    assert differ == []
    episodes = [json.loads(line) for line in (run / "episodes.jsonl").read_text().splitlines()]
    verdicts = [json.loads(line) for line in (run / "verdicts.jsonl").read_text().splitlines()]
    assert len({e["episode_id"] for e in episodes}) == len(episodes) == EPISODES
    assert len({v["verdict_id"] for v in verdicts}) == len(verdicts) == 3 * EPISODES

    # Validation found the same (its report names the run folder's absolute paths).
    def validation(root: Path) -> str:
        return (root / "validate/validation.json").read_text().replace(str(root), "RUN")

    assert validation(run) == validation(ref)

    # The same adapter config: PEFT writes the base model's folder (each study has its own
    # cache) and the target modules in set order, which varies between any two processes.
    def adapter_config(root: Path) -> dict:
        data = json.loads((root / ADAPTER / "adapter_config.json").read_text())
        return data | {
            "base_model_name_or_path": None,
            "target_modules": sorted(data["target_modules"]),
        }

    assert adapter_config(run) == adapter_config(ref)
    # The same training, apart from how long it took (and where it resumed from).
    meta, ref_meta = (json.loads((r / ADAPTER / "train_meta.json").read_text()) for r in (run, ref))
    assert _without(meta, TRAIN_TIMING | {"resumed_from_step"}) == _without(
        ref_meta, TRAIN_TIMING | {"resumed_from_step"}
    )
    # The same numbers; only timing and the last process's own counts may differ.
    assert _summary(run, per_process=True) == _summary(ref, per_process=True)
    config, ref_config = (yaml.safe_load((r / "config.yaml").read_text()) for r in (run, ref))
    assert {**config, "storage": None} == {**ref_config, "storage": None}
    manifest = json.loads((run / "manifest.json").read_text())
    assert {stage["status"] for stage in manifest["stages"].values()} == {"done"}

    # The resume made only what was missing.
    if point.name == "train":
        assert meta["resumed_from_step"] >= 6  # from its checkpoint, not from scratch
    if point.name == "rollout":  # the shard's counts cover both processes' rows
        stats = json.loads((run / "rollout" / POST_SHARD).with_suffix(".json").read_text())
        assert got.rollout_rows_at_kill > 0 and stats["generated"] == EPISODES // 2

    verify = subprocess.run(
        [*PROCSFT, "verify", str(run)], capture_output=True, text=True, env=got.study.env("-")
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr


@pytest.mark.parametrize("point", POINTS, ids=IDS)
def test_no_judge_reply_is_paid_for_twice(point, campaign, reference):
    got = campaign(point)
    asked = Counter(reference.requests("reference"))
    # An uninterrupted run asks once per distinct grading request (episodes whose responses
    # are the same share one reply).
    assert set(asked.values()) == {1} and 0 < len(asked) <= EPISODES
    killed, resumed = Counter(got.killed), Counter(got.resumed)
    # The killed attempt asked nothing an uninterrupted run would not.
    assert not killed - asked
    if point.name == "judge":
        assert got.paid and got.in_flight >= 1, "the kill did not land mid-judging"
    # A reply that reached the killed attempt is never asked for again; every other request
    # is asked exactly as an uninterrupted run asks it (the ones in flight at the kill, whose
    # replies never arrived, included).
    twice = got.paid & set(resumed)
    assert not twice, f"{len(twice)} replies the killed attempt had were asked for again"
    missing = Counter({key: n for key, n in asked.items() if key not in got.paid})
    assert resumed == missing, "the resume asked for other replies than the missing ones"


@pytest.mark.parametrize("point", POINTS, ids=IDS)
def test_store_and_mlflow_hold_the_run_once(point, campaign, reference):
    got = campaign(point)
    run, store = got.study.run, got.study.store / got.study.run.name
    # Every artifact of the run manifest is in the store with the run's final bytes.
    manifest = json.loads((run / "run_manifest.json").read_text())
    for artifact in manifest["artifacts"]:
        assert _sha(store / artifact["path"]) == artifact["sha256"], artifact["path"]
    assert not [k for k in _files(store) if k.endswith(".tmp")]  # no half-copied file
    visible = sorted(k for k in _files(store) if not Path(k).name.startswith("."))
    ref_store = reference.store / reference.run.name
    assert visible == sorted(k for k in _files(ref_store) if not Path(k).name.startswith("."))
    # One study run, complete, its children once each, one adapter version.
    logged, ref_logged = got.study.mlflow_rows(), reference.mlflow_rows()
    assert logged == ref_logged and logged["complete"] == 1


# The run facts count the whole run, whatever process made them: shard counts come from the
# rows, judge requests, tokens and cost from the spend ledger beside the verdicts.
@pytest.mark.parametrize("point", POINTS, ids=IDS)
def test_resumed_summary_reports_the_whole_run(point, campaign, reference):
    """summary.json's run facts (rows generated, judge requests and tokens) equal the
    uninterrupted run's, timing aside."""
    got = campaign(point)
    assert _summary(got.study.run, per_process=False) == _summary(reference.run, per_process=False)
