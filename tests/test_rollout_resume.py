"""A rollout killed with SIGKILL resumes: only missing episodes are made, none twice or lost."""

import json
import signal
import subprocess
import time

from procsft.schema import Episode, read_rows
from tests.conftest import PROCSFT, run_folders, tiny_config, write_yaml


def _config(tmp_path, cache_dir, runs):
    config = tiny_config(
        tmp_path,
        cache_dir,
        decoding={"max_new_tokens": 48},
        subset={"skills": ["gcd-euclid", "median", "caesar-shift"], "tasks_per_skill": 4},
        compute={"device": "cpu", "batch_size": 2, "threads": 1},
    )
    config["storage"]["runs_dir"] = str(tmp_path / runs)
    return write_yaml(tmp_path / f"{runs}.yaml", config)


def test_killed_rollout_resumes_to_the_uninterrupted_result(tmp_path, cache_dir, subprocess_env):
    reference = _config(tmp_path, cache_dir, "whole")
    subprocess.run(
        [*PROCSFT, "run", "--config", str(reference)],
        env=subprocess_env,
        check=True,
        capture_output=True,
    )
    (whole,) = run_folders(tmp_path / "whole")

    killed = _config(tmp_path, cache_dir, "killed")
    proc = subprocess.Popen(
        [*PROCSFT, "run", "--config", str(killed)],
        env=subprocess_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    partial = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        found = list((tmp_path / "killed").glob("*/rollout/tiny__pre.jsonl.partial"))
        if found and len(found[0].read_bytes().splitlines()) >= 4:
            partial = found[0]
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert partial is not None, "the rollout finished before it could be killed"
    made_before = len(partial.read_bytes().splitlines())
    assert not partial.with_name("tiny__pre.jsonl").exists()

    subprocess.run(
        [*PROCSFT, "run", "--config", str(killed)],
        env=subprocess_env,
        check=True,
        capture_output=True,
    )
    run = partial.parents[1]
    manifest = json.loads((run / "manifest.json").read_text())
    facts = manifest["stages"]["rollout"]["configurations"]["tiny/pre"]
    assert facts["generated"] == 24  # the shard's rows, whichever process made them
    assert facts["generated_now"] <= 24 - made_before + 1  # at most one torn batch is redone
    resumed = list(read_rows(run / "episodes.jsonl", Episode))
    assert len({e.episode_id for e in resumed}) == len(resumed) == 24
    assert (run / "episodes.jsonl").read_bytes() == (whole / "episodes.jsonl").read_bytes()
    assert (run / "verdicts.jsonl").read_bytes() == (whole / "verdicts.jsonl").read_bytes()
