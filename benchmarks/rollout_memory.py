"""Rollout memory is bounded by the batch, not the holdout: the peak RSS of a rollout of the
holdout's first 40 episodes and of 160 episodes (4×), each in a fresh process, on the tiny
model at the same batch size. Goal: the 4× holdout takes ≤ 1.1× the memory."""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from record import record  # noqa: E402

BATCH, SMALL, LARGE = 8, 40, 160


def child(episodes: int, cache: Path) -> None:
    """Roll out `episodes` episodes and print this process's peak RSS in MiB."""
    from procsft.config import Decoding
    from procsft.inference.models import resolve_model
    from procsft.inference.transformers_backend import TransformersGenerator
    from procsft.plan import Configuration
    from procsft.rollout import plan_episodes, rollout
    from procsft.schema import Episode, RowLog
    from procsft.suite.build import build_holdout

    skills, tasks = build_holdout(seed=0, tasks_per_skill=2)
    decoding = Decoding(max_new_tokens=32)
    configuration = Configuration(student="tiny", size="tiny", phase="pre")
    plan = plan_episodes(configuration, skills, tasks, ["baseline", "curated"], [0], decoding)
    plan = plan[:episodes]
    model = resolve_model("tiny:qwen3.5", None, cache)
    log = RowLog(Path(tempfile.mkdtemp()) / "episodes.jsonl", Episode)
    rollout(
        configuration,
        plan,
        lambda: TransformersGenerator(model, device="cpu"),
        log,
        decoding=decoding,
        batch_size=BATCH,
    )
    assert len(log.rows) == episodes
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def peak_mib(episodes: int, cache: Path) -> float:
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(episodes), str(cache)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout.strip().splitlines()[-1])


def main() -> None:
    cache = Path(tempfile.mkdtemp(prefix="procsft-bench-"))
    peak_mib(BATCH, cache)  # builds the tiny model into the cache, outside the measurement
    small, large = peak_mib(SMALL, cache), peak_mib(LARGE, cache)
    record(
        "rollout_memory",
        [
            {"metric": f"peak RSS, {SMALL} episodes at batch {BATCH} (MiB)", "value": round(small)},
            {"metric": f"peak RSS, {LARGE} episodes at batch {BATCH} (MiB)", "value": round(large)},
            {"metric": "4x the holdout / 1x, peak RSS", "value": large / small, "goal_max": 1.1},
        ],
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(int(sys.argv[2]), Path(sys.argv[3]))
    else:
        main()
