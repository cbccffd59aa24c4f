"""A run on a nearly full filesystem (a small tmpfs, in a private mount namespace) stops with a
one-line "no space left on device" naming the file, leaves no torn row and no half-written
file, and resumes to the uninterrupted result once there is space."""

import json
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from procsft.schema import Episode, read_rows
from tests.conftest import PROCSFT, run_folders, tiny_config, write_yaml

PAGE_KB = 4
MOUNT = ["unshare", "--user", "--map-root-user", "--mount"]


def can_mount_tmpfs(tmp_path: Path) -> bool:
    point = tmp_path / "probe"
    point.mkdir()
    script = f"mount -t tmpfs -o size=64k tmpfs {point}"
    return subprocess.run([*MOUNT, "sh", "-c", script], capture_output=True).returncode == 0


def disk_kb(paths: list[Path]) -> int:
    """Return the space `paths` take on a filesystem of 4 KiB pages, as tmpfs counts it."""
    files = [f for p in paths for f in ([p] if p.is_file() else p.rglob("*")) if f.is_file()]
    return sum(-(-f.stat().st_size // 4096) * PAGE_KB for f in files)


def run_on_tmpfs(config: Path, runs: Path, size_kb: int, keep: Path, env: dict):
    """Run the study with `runs` a tmpfs of `size_kb`, then copy what it left to `keep`."""
    command = shlex.join([*PROCSFT, "run", "--config", str(config)])
    script = (
        f"mount -t tmpfs -o size={size_kb}k tmpfs {runs} && {{ {command}; rc=$?; "
        f"cp -a {runs}/. {keep}/; exit $rc; }}"
    )
    return subprocess.run(
        [*MOUNT, "sh", "-c", script], capture_output=True, text=True, env=env, timeout=600
    )


@pytest.mark.slow
def test_a_full_disk_stops_cleanly_and_the_run_resumes(tmp_path, cache_dir, subprocess_env):
    if not can_mount_tmpfs(tmp_path):
        pytest.skip("no private mount namespace here (unshare --user --mount refused)")
    settings = {"decoding": {"max_new_tokens": 48}, "compute": {"device": "cpu", "batch_size": 2}}

    def config_for(runs: Path) -> Path:
        config = tiny_config(tmp_path, cache_dir, **settings)
        config["storage"]["runs_dir"] = str(runs)
        return write_yaml(tmp_path / f"{runs.name}.yaml", config)

    subprocess.run(
        [*PROCSFT, "run", "--config", str(config_for(tmp_path / "whole"))],
        env=subprocess_env,
        check=True,
        capture_output=True,
    )
    (whole,) = run_folders(tmp_path / "whole")
    shard = next((whole / "rollout").glob("*.jsonl"))
    # Room for everything before the rollout and for its first batch of rows, not the second.
    # (validate/ gets the judge-pass checks too, but only after judging.)
    validation = ("validate/validation.json", "validate/validation.md")
    before = [whole / name for name in ("config.yaml", "manifest.json", "suite", *validation)]
    first_batch = b"".join(shard.read_bytes().splitlines(keepends=True)[:2])
    size_kb = disk_kb(before) + -(-len(first_batch) // 4096) * PAGE_KB + PAGE_KB

    mounted, kept = tmp_path / "full", tmp_path / "kept"
    mounted.mkdir()
    kept.mkdir()
    result = run_on_tmpfs(config_for(mounted), mounted, size_kb, kept, subprocess_env)
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-2000:]
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("procsft:")]
    assert "no space left on device" in line and "/rollout/" in line
    assert "Traceback" not in result.stderr
    (left,) = run_folders(kept)
    assert not list(left.rglob("*.tmp")), "a half-written file was left behind"
    partial = next((left / "rollout").glob("*.partial"))
    assert partial.read_bytes().endswith(b"\n")
    rows = list(read_rows(partial, Episode))  # every line is a whole row
    assert 0 < len(rows) < len(list(read_rows(shard, Episode)))

    # Space again: the same run, moved to a roomy disk, resumes to the uninterrupted result.
    resumed_runs = tmp_path / "resumed"
    shutil.copytree(kept, resumed_runs)
    done = subprocess.run(
        [*PROCSFT, "run", "--config", str(config_for(resumed_runs))],
        env=subprocess_env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    (resumed,) = run_folders(resumed_runs)
    assert (resumed / "episodes.jsonl").read_bytes() == (whole / "episodes.jsonl").read_bytes()
    assert (
        json.loads((resumed / "summary.json").read_text())["pass_rates"]
        == json.loads((whole / "summary.json").read_text())["pass_rates"]
    )
