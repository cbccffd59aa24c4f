"""Analysis speed: `analyze` on the paper's shape — 7 configurations (3 sizes × pre/post and a
reference), 2 800 episodes (7 × 200 tasks × 2 conditions), 3 scorers — with 2 000 bootstrap
resamples per interval, against a plain pandas groupby of the same pass rates.

Goal: the whole analysis (every interval, plots, reports) in ≤ 30 s on 2 cores.
"""

from __future__ import annotations

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


def main() -> None:
    study = make_study(
        tasks=200,
        scorers=("extractor", "judge-a", "judge-b"),
        new=("s4",),
        disagree=0.05,
        p={("pre", "curated"): 0.45, ("post", "curated"): 0.6},
    )
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
        ],
    )


if __name__ == "__main__":
    main()
