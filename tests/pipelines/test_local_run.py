"""The pipeline runs on this machine (KFP local execution) on the tiny model: the run folder
gets every stage's rows and report, KFP gets every step's outputs, a failure is recorded."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from procsft.schema import Episode, Verdict, read_rows
from tests.conftest import tiny_config, write_yaml

REPO = Path(__file__).resolve().parents[2]


def run_local(config: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "procsft_kfp.pipelines.local", "--config", str(config), *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=900,
    )


def printed(stdout: str, label: str) -> Path:
    """Return the path local.py printed after `label: `."""
    (line,) = [line for line in stdout.splitlines() if line.startswith(f"{label}: ")]
    return Path(line.removeprefix(f"{label}: "))


@pytest.mark.slow
def test_pre_and_post_study_runs_locally_end_to_end(tmp_path, cache_dir, subprocess_env):
    # The recipe of tests/test_post_stage.py: hot enough that the adapter passes its probe.
    recipe = {"name": "hot", "learning_rate": 0.05, "epochs": 4, "batch_size": 2}
    config = tiny_config(
        tmp_path,
        cache_dir,
        stages=["pre", "post"],
        recipes=[recipe],
        subset={"skills": ["gcd-euclid", "median"], "tasks_per_skill": 2, "corpus_rows": 8},
    )
    config_file = write_yaml(tmp_path / "c.yaml", config)
    result = run_local(config_file, subprocess_env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    run = printed(result.stdout, "run folder")
    assert run.parent == tmp_path / "runs"
    episodes = list(read_rows(run / "episodes.jsonl", Episode))
    assert {e.configuration for e in episodes} == {"tiny/pre", "tiny/post/hot/seed0"}
    assert len(episodes) == 16  # 2 configurations × 2 skills × 2 tasks × 2 conditions
    assert len(list(read_rows(run / "verdicts.jsonl", Verdict))) == 16
    summary = json.loads((run / "summary.json").read_text())
    assert {r["configuration"] for r in summary["pass_rates"]} == {
        "tiny/pre",
        "tiny/post/hot/seed0",
    }
    report = printed(result.stdout, "report")
    assert report.parent == run and report.stat().st_size > 0
    assert "Got executor_input" not in result.stdout and "Executing task" in result.stdout
    assert (run / "train/tiny/hot/seed0/train_meta.json").exists()
    assert not (run / "failure.json").exists()

    (job,) = printed(result.stdout, "KFP outputs").glob("procsft-tiny-*")
    assert (job / "validate/validation").read_text() == (run / "validate/validation.md").read_text()
    (adapters,) = job.glob("for-loop-*/train/adapters")
    assert (adapters / "hot/seed0/train_meta.json").exists()
    shards = sorted(p.read_text() for p in job.rglob("rollout*/episodes"))
    assert len(shards) == 2 and all(shards)
    for step, name in (("judge", "episodes"), ("judge", "verdicts"), ("analyze", "agreement")):
        assert (job / step / name).stat().st_size > 0
    assert (job / "analyze/report").read_text().startswith("<!doctype html>")
    assert (job / "analyze/report_md").read_text() == (run / "report.md").read_text()
    executed = json.loads((job / "analyze/executor_output.json").read_text())
    (metrics,) = executed["artifacts"]["metrics"]["artifacts"]
    assert "pass_rate/tiny/pre/baseline/extractor" in metrics["metadata"]
    assert "delta/tiny/post/hot/seed0/extractor" in metrics["metadata"]
    published = json.loads((job / "publish/executor_output.json").read_text())
    assert json.loads(published["parameterValues"]["Output"])["adapter_versions"] == 1
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["stages"]["train"]["adapters"]["tiny/hot/seed0"]["steps"] > 0
    assert (run / "run_manifest.json").exists()

    # Unchanged, a rerun runs no step and writes nothing; a file gone runs the pipeline again.
    files = {p: p.stat().st_mtime_ns for p in run.rglob("*") if p.is_file()}
    again = run_local(config_file, subprocess_env)
    assert again.returncode == 0 and "nothing changed since" in again.stdout
    assert "Executing task" not in again.stdout and printed(again.stdout, "run folder") == run
    assert {p: p.stat().st_mtime_ns for p in run.rglob("*") if p.is_file()} == files
    (run / "report.md").unlink()
    resumed = run_local(config_file, subprocess_env)
    assert resumed.returncode == 0 and "Executing task" in resumed.stdout
    assert (run / "report.md").exists()


def test_a_failed_step_is_recorded_in_the_run_folder(tmp_path, cache_dir, subprocess_env):
    # An unknown skill passes the schema but is refused by the validate step.
    config = tiny_config(tmp_path, cache_dir, subset={"skills": ["no-such-skill"]})
    result = run_local(write_yaml(tmp_path / "c.yaml", config), subprocess_env)
    assert result.returncode == 1
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("procsft:")]
    assert line.startswith("procsft: pipeline failed: ") and "\x1b" not in line
    assert "no effect in the current local runner" not in result.stderr
    run = printed(result.stderr, "run folder")
    failure = json.loads((run / "failure.json").read_text())
    assert failure["state"] == "FAILED"
    assert failure["error_message"]


def test_executor_info_logs_are_dropped_and_step_output_kept():
    import io

    from procsft_kfp.pipelines.local import QuietExecutorLogs

    streamed = [
        "    [KFP Executor 2026-11-29 02:02:35,650 INFO]: Looking for component `validate`",
        "    [KFP Executor 2026-11-29 02:02:35,650 INFO]: Got executor_input:",
        "    {",
        '        "inputs": {',
        "        }",
        "    }",
        "    [KFP Executor 2026-11-29 02:02:40,331 INFO]: Skipping registering function x",
        "    training tiny / hot / seed 0",
        "    [KFP Executor 2026-11-29 02:02:41,000 WARNING]: something to see",
        "02:08:01.896 - INFO - Task 'judge' finished with status SUCCESS",
    ]
    out = io.StringIO()
    quiet = QuietExecutorLogs(out)
    for line in streamed:  # KFP prints the indent and the line in two writes
        quiet.write(line[:4])
        quiet.write(line[4:] + "\n")
    assert out.getvalue().splitlines() == streamed[7:]
