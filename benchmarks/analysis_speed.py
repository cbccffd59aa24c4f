"""Analysis speed: `analyze` on the paper's shape — 7 configurations (3 sizes × pre/post and a
reference), 2 800 episodes (7 × 200 tasks × 2 conditions), 3 scorers — with 2 000 bootstrap
resamples per interval, against a plain pandas groupby of the same pass rates.

Goal: the whole analysis (every interval, plots, reports) in ≤ 30 s on 2 cores.

Then how it grows: the same study at 1×, 10× and 100× the paper's verdicts (8 400, 84 000,
840 000: 10× and 100× the tasks), each analysed in a fresh process that reports its seconds
and its peak RSS. Goals: the 100× analysis in ≤ 60 s, and memory growing no faster than the
verdicts (peak RSS at 100× over peak RSS at 1×, divided by 100, at most 1).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(Path(__file__).parent)]

from record import record  # noqa: E402

from procsft.analysis import analyze  # noqa: E402
from procsft.config import Analysis  # noqa: E402
from procsft.testing.synthetic import make_study  # noqa: E402

BUDGET_S, RESAMPLES, REPEATS = 30.0, 2000, 2
SCALES, SCALED_BUDGET_S = (1, 10, 100), 60.0


def paper_study(scale: int = 1):
    """Return the paper-shaped synthetic study with `scale` × its 200 tasks."""
    return make_study(
        tasks=200 * scale,
        scorers=("extractor", "judge-a", "judge-b"),
        new=("s4",),
        disagree=0.05,
        p={("pre", "curated"): 0.45, ("post", "curated"): 0.6},
    )


def measure_scale(scale: int) -> dict:
    """Return the verdicts, analyze seconds and peak RSS (MiB) of this process analysing the
    study at `scale` (run in a fresh process per scale, so each peak is its own)."""
    study = paper_study(scale)
    built_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        analyze(study.verdicts, study.paths, study.students, settings=Analysis(), out=Path(out))
        seconds = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "verdicts": len(study.verdicts),
        "seconds": seconds,
        "built_mib": built_mib,
        "peak_mib": peak_mib,
    }


def scaled_rows() -> list[dict]:
    """Return seconds and peak RSS at every scale, and the growth ratios against 1×."""
    measured = {}
    for scale in SCALES:
        done = subprocess.run(
            [sys.executable, __file__, "--scale", str(scale)],
            capture_output=True,
            text=True,
            check=True,
        )
        measured[scale] = json.loads(done.stdout.strip().splitlines()[-1])
    rows = []
    for scale, m in measured.items():
        rows += [
            {"metric": f"{scale}×: verdicts", "value": m["verdicts"]},
            {
                "metric": f"{scale}×: analyze seconds",
                "value": round(m["seconds"], 2),
                **({"goal_max": SCALED_BUDGET_S} if scale == SCALES[-1] else {}),
            },
            {"metric": f"{scale}×: peak RSS, MiB", "value": round(m["peak_mib"])},
            {"metric": f"{scale}×: RSS of the verdicts alone, MiB", "value": round(m["built_mib"])},
        ]
    top, one = measured[SCALES[-1]], measured[SCALES[0]]
    growth = (top["peak_mib"] / one["peak_mib"]) / (top["verdicts"] / one["verdicts"])
    rows.append(
        {
            "metric": f"peak RSS growth / verdict growth ({SCALES[-1]}× vs {SCALES[0]}×)",
            "value": growth,
            "goal_max": 1.0,
        }
    )
    return rows


def main() -> None:
    study = paper_study()
    verdicts = study.verdicts
    settings = Analysis(resamples=RESAMPLES)
    analyze_s = []
    for _ in range(REPEATS):  # the best of a few: the first also fills matplotlib's font cache
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            analyze(
                verdicts,
                study.paths,
                study.students,
                settings=settings,
                out=Path(out),
            )
            analyze_s.append(time.perf_counter() - start)
    groupby_s = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        frame = pd.DataFrame(
            [(v.configuration, v.condition, v.scorer, v.passed) for v in verdicts],
            columns=["configuration", "condition", "scorer", "passed"],
        )
        frame.dropna().groupby(["configuration", "condition", "scorer"])["passed"].mean()
        groupby_s.append(time.perf_counter() - start)
    best, plain = min(analyze_s), min(groupby_s)
    record(
        "analysis_speed",
        [
            {
                "metric": "verdicts (7 configurations × 200 tasks × 2 × 3 scorers)",
                "value": len(verdicts),
            },
            {"metric": "bootstrap resamples per interval", "value": RESAMPLES},
            {"metric": "analyze seconds (intervals, plots, reports)", "value": round(best, 2)},
            {"metric": "plain pandas groupby of pass rates, seconds", "value": round(plain, 4)},
            {"metric": "analyze / groupby time", "value": round(best / plain, 1)},
            {
                "metric": f"{BUDGET_S:.0f} s budget / analyze seconds",
                "value": BUDGET_S / best,
                "goal": 1.0,
            },
            *scaled_rows(),
        ],
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--scale"]:
        print(json.dumps(measure_scale(int(sys.argv[2]))))
    else:
        main()
