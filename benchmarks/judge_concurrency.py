"""Judge throughput: 400 judgements against the loopback judge (50 ms per reply) at
concurrency 16, as a fraction of the ideal rate (16 / 50 ms = 320 per second). Goal ≥ 0.8.

A first, untimed stage of 16 judgements warms the process: importing the SDK and its
transport and building its response models happen once per process, not per request, and
are not what concurrency is about. The timed stage still pays its own client and
connections. The warm-up's rate is printed too, so the one-time cost stays visible.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(Path(__file__).parent)]

from record import record  # noqa: E402

from procsft.config import StudyConfig  # noqa: E402
from procsft.judge.stage import judge_all  # noqa: E402
from procsft.schema import Episode  # noqa: E402
from procsft.testing.loopback_llm import LoopbackLLMServer  # noqa: E402
from tests.judge.rows import TASK, episode  # noqa: E402

N, WARM_UP, CONCURRENCY, LATENCY_S = 400, 16, 16, 0.05


def episodes(first: int, count: int) -> list[Episode]:
    """Return `count` distinct episodes (distinct responses, so no verdict is a cache hit)."""
    return [episode(i, f"ANSWER: {i}") for i in range(first, first + count)]


def judged_per_second(config: StudyConfig, rows: list[Episode], out: Path) -> float:
    """Return the rate at which one judging stage scores `rows`."""
    start = time.perf_counter()
    judge_all(config, [TASK], rows, out / "verdicts.jsonl")
    return len(rows) / (time.perf_counter() - start)


def main() -> None:
    os.environ["BENCH_JUDGE_KEY"] = "sk-bench"
    tmp = Path(tempfile.mkdtemp())
    with LoopbackLLMServer() as server:
        server.set_delay(LATENCY_S)
        server.respond_with(lambda _: "Checked.\nVERDICT: FAIL")
        config = StudyConfig.model_validate(
            {
                "study": "bench",
                "students": [{"name": "m", "source": "tiny:qwen3.5", "size": "1B", "params": 1}],
                "scorers": [
                    {
                        "name": "judge",
                        "kind": "llm",
                        "backend": "openai",
                        "model": "g",
                        "base_url": f"{server.url}/v1",
                        "api_key_env": "BENCH_JUDGE_KEY",
                        "max_concurrency": CONCURRENCY,
                    }
                ],
                "storage": {"cache_dir": str(tmp / "cache")},
            }
        )
        cold = judged_per_second(config, episodes(N, WARM_UP), tmp / "warm-up")
        rate = judged_per_second(config, episodes(0, N), tmp / "timed")
        peak = server.max_in_flight
        sent = len(server.requests)
    ideal = CONCURRENCY / LATENCY_S
    assert sent == N + WARM_UP, f"the loopback judge received {sent} requests"
    record(
        "judge_concurrency",
        [
            {"metric": "judgements per second", "value": round(rate, 1)},
            {"metric": "ideal per second (concurrency / latency)", "value": ideal},
            {"metric": "most requests in flight", "value": peak},
            {"metric": f"first stage of {WARM_UP} (cold process) / ideal", "value": cold / ideal},
            {"metric": "achieved / ideal rate", "value": rate / ideal, "goal": 0.8},
        ],
    )


if __name__ == "__main__":
    main()
