"""Judge throughput: 400 judgements against the loopback judge (50 ms per reply) at
concurrency 16, measured against two references in the same run:

- the ideal rate (16 / 50 ms = 320 per second), goal ≥ 0.8. The loopback server shares the
  machine's cores with the client, so this ratio moves with the machine (0.69–0.87 seen);
- the ceiling of a bare async client, goal ≥ 0.9: the official SDK procsft's judges use
  (`AsyncOpenAI` over its aiohttp transport), bare: 16 requests in flight, the same request
  bodies and no procsft code (no cache, ledger, rows or verdict parsing), against the same
  server on the same cores. What procsft loses below it is procsft's own. Plain aiohttp is
  shown beside it: what the SDK itself costs (the project uses the official SDKs, so that
  cost is not procsft's to remove).

The three clients take turns, in a rotating order, for `ROUNDS` rounds of fresh requests (no
verdict is a cache hit); each ratio is the median of its rounds' ratios, so load that other
processes put on the machine falls on every client alike.

A first, untimed stage of 16 judgements warms the process: importing the SDK and its
transport and building its response models happen once per process, not per request, and
are not what concurrency is about. The timed stages still pay their own client and
connections. The warm-up's rate is printed too, so the one-time cost stays visible.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(Path(__file__).parent)]

from record import record  # noqa: E402

from procsft.config import StudyConfig  # noqa: E402
from procsft.judge.llm import judge_request  # noqa: E402
from procsft.judge.stage import judge_all  # noqa: E402
from procsft.schema import Episode  # noqa: E402
from procsft.testing.loopback_llm import LoopbackLLMServer  # noqa: E402
from tests.judge.rows import TASK, episode  # noqa: E402

N, WARM_UP, CONCURRENCY, LATENCY_S, ROUNDS = 400, 16, 16, 0.05, 3
MAX_TOKENS = 256  # the judge scorer's default max_new_tokens: the bodies procsft sends
KEY = "sk-bench"


def episodes(first: int, count: int) -> list[Episode]:
    """Return `count` distinct episodes (distinct responses, so no verdict is a cache hit)."""
    return [episode(i, f"ANSWER: {i}") for i in range(first, first + count)]


def bodies(rows: list[Episode]) -> list[dict]:
    """Return the Chat Completions bodies procsft's judge sends for `rows`."""
    out = []
    for row in rows:
        request = judge_request(TASK, row.response, MAX_TOKENS)
        out.append(
            {
                "model": "g",
                "messages": request.messages,
                "max_tokens": MAX_TOKENS,
                "temperature": request.temperature,
                "top_p": request.top_p,
            }
        )
    return out


def judged_per_second(config: StudyConfig, rows: list[Episode], out: Path) -> float:
    """Return the rate at which one judging stage scores `rows`."""
    start = time.perf_counter()
    judge_all(config, [TASK], rows, out / "verdicts.jsonl")
    return len(rows) / (time.perf_counter() - start)


async def _workers(send: Callable, requests: list[dict]) -> None:
    """Send `requests` with CONCURRENCY in flight: each worker takes the next as one ends."""
    queue = iter(requests)

    async def worker() -> None:
        for body in queue:
            await send(body)

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))


def bare_aiohttp_per_second(url: str, requests: list[dict]) -> float:
    """Return the rate of plain aiohttp: POST each body, read the reply's text, nothing else."""
    import aiohttp

    texts: list[str] = []

    async def run() -> None:
        connector = aiohttp.TCPConnector(limit=CONCURRENCY)
        headers = {"Authorization": f"Bearer {KEY}"}
        async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

            async def send(body: dict) -> None:
                async with session.post(f"{url}/v1/chat/completions", json=body) as reply:
                    reply.raise_for_status()
                    texts.append((await reply.json())["choices"][0]["message"]["content"])

            await _workers(send, requests)

    start = time.perf_counter()
    asyncio.run(run())
    assert len(texts) == len(requests)
    return len(requests) / (time.perf_counter() - start)


def bare_sdk_per_second(url: str, requests: list[dict]) -> float:
    """Return the rate of the official SDK used bare: `AsyncOpenAI` over its aiohttp transport,
    no retries, each body sent as `chat.completions.create` arguments."""
    import openai

    texts: list[str] = []

    async def run() -> None:
        client = openai.AsyncOpenAI(
            base_url=f"{url}/v1",
            api_key=KEY,
            max_retries=0,
            http_client=openai.DefaultAioHttpClient(),
        )
        async with client:

            async def send(body: dict) -> None:
                reply = await client.chat.completions.create(**body)
                texts.append(reply.choices[0].message.content)

            await _workers(send, requests)

    start = time.perf_counter()
    asyncio.run(run())
    assert len(texts) == len(requests)
    return len(requests) / (time.perf_counter() - start)


def main() -> None:
    os.environ["BENCH_JUDGE_KEY"] = KEY
    tmp = Path(tempfile.mkdtemp())
    rates: dict[str, list[float]] = {"procsft": [], "aiohttp": [], "sdk": []}
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
                        "max_new_tokens": MAX_TOKENS,
                    }
                ],
                "storage": {"cache_dir": str(tmp / "cache")},
            }
        )
        cold = judged_per_second(config, episodes(10 * N, WARM_UP), tmp / "warm-up")
        bare_aiohttp_per_second(server.url, bodies(episodes(11 * N, WARM_UP)))
        bare_sdk_per_second(server.url, bodies(episodes(12 * N, WARM_UP)))
        clients = {
            "procsft": lambda rows, i: judged_per_second(config, rows, tmp / f"timed-{i}"),
            "aiohttp": lambda rows, _: bare_aiohttp_per_second(server.url, bodies(rows)),
            "sdk": lambda rows, _: bare_sdk_per_second(server.url, bodies(rows)),
        }
        names = list(clients)
        for i in range(ROUNDS):
            for k, name in enumerate(names[i % 3 :] + names[: i % 3]):  # rotate who goes first
                rows = episodes(N * (3 * i + k), N)
                rates[name].append(clients[name](rows, i))
        peak = server.max_in_flight
        sent = len(server.requests)
    ideal = CONCURRENCY / LATENCY_S
    expected = 3 * WARM_UP + 3 * ROUNDS * N
    assert sent == expected, f"the loopback judge received {sent} requests, not {expected}"
    rate = statistics.median(rates["procsft"])

    def median_ratio(reference: str) -> float:
        return statistics.median(
            p / r for p, r in zip(rates["procsft"], rates[reference], strict=True)
        )

    record(
        "judge_concurrency",
        [
            {
                "metric": "judgements per second (procsft, median of rounds)",
                "value": round(rate, 1),
            },
            {
                "metric": "bare aiohttp requests per second",
                "value": round(statistics.median(rates["aiohttp"]), 1),
            },
            {
                "metric": "bare SDK (AsyncOpenAI) requests per second (ceiling)",
                "value": round(statistics.median(rates["sdk"]), 1),
            },
            {"metric": "ideal per second (concurrency / latency)", "value": ideal},
            {"metric": "most requests in flight", "value": peak},
            {"metric": f"first stage of {WARM_UP} (cold process) / ideal", "value": cold / ideal},
            {"metric": "achieved / ideal rate", "value": rate / ideal, "goal": 0.8},
            {"metric": "procsft / bare aiohttp rate", "value": median_ratio("aiohttp")},
            {
                "metric": "procsft / bare SDK rate (ceiling)",
                "value": median_ratio("sdk"),
                "goal": 0.9,
            },
        ],
    )


if __name__ == "__main__":
    main()
