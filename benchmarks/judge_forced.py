"""Forced-choice judging speed on the embedded model (SmolLM2-135M, the judge of
configs/local.yaml), measured side by side in one run on real grading prompts: the embedded
model's own replies to the holdout's first tasks, each graded as `make run` grades it.

Ratios printed:
- verdicts per second of procsft's continuation scoring (one row per context for one-token
  options, length-sorted batches, the grading instructions' keys and values computed once)
  over the earlier scoring (one row per context and option, the whole chunk in one padded
  batch), each on the same chunks of the study's batch size;
- how many verdict replies are byte-identical (the verdict and both log-probabilities as the
  reply prints them), and the largest log-probability difference.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import torch

from procsft.config import Decoding
from procsft.inference.models import default_cache_dir, resolve_model
from procsft.inference.transformers_backend import TransformersGenerator
from procsft.judge.forced import ForcedVerdictJudge
from procsft.judge.llm import judge_request
from procsft.plan import Configuration
from procsft.rollout import plan_episodes
from procsft.suite.build import build_holdout

sys.path.insert(0, str(Path(__file__).parent))
from record import record  # noqa: E402

EPISODES, NEW_TOKENS, CHUNK = 32, 96, 32


def grading_requests(generator: TransformersGenerator) -> list:
    """Return the judge requests of the model's replies to the first holdout tasks, under
    both conditions (the replies are generated here, with the study's greedy decoding)."""
    skills, tasks = build_holdout(seed=0, tasks_per_skill=1)
    decoding = Decoding(max_new_tokens=NEW_TOKENS)
    config = Configuration(student="smollm2-135m", size="135M", phase="pre")
    plan = plan_episodes(config, skills, tasks, ["baseline", "curated"], [0], decoding)
    plan = plan[: EPISODES // 2] + plan[len(tasks) : len(tasks) + EPISODES // 2]
    replies = []
    for i in range(0, len(plan), CHUNK):
        replies += generator.generate([p.request for p in plan[i : i + CHUNK]])
    return [judge_request(p.task, g.text, 256) for p, g in zip(plan, replies, strict=True)]


def joined_rows_logprobs(generator, requests, prefix, options) -> list[list[float]]:
    """The earlier scoring: one left-padded row per context and option, one forward pass."""
    tok = generator.tokenizer
    contexts = [
        tok(generator.render(r.messages) + prefix, add_special_tokens=False).input_ids
        for r in requests
    ]
    endings = [tok(o, add_special_tokens=False).input_ids for o in options]
    rows = [c + e for c in contexts for e in endings]
    width, keep = max(map(len, rows)), max(map(len, endings)) + 1
    ids = torch.tensor([[tok.pad_token_id] * (width - len(r)) + r for r in rows])
    mask = torch.tensor([[0] * (width - len(r)) + [1] * len(r) for r in rows])
    positions = (mask.cumsum(dim=1) - 1).clamp(min=0)
    with torch.inference_mode():
        logits = generator.model(
            input_ids=ids, attention_mask=mask, position_ids=positions, logits_to_keep=keep
        ).logits.float()
    scores = logits.log_softmax(dim=-1)
    flat = []
    for row, ending in enumerate(endings * len(contexts)):
        steps = range(keep - 1 - len(ending), keep - 1)
        flat.append(sum(scores[row, t, k].item() for t, k in zip(steps, ending, strict=True)))
    return [flat[i : i + len(options)] for i in range(0, len(flat), len(options))]


class EarlierScoring:
    """The generator with the earlier continuation scoring, for ForcedVerdictJudge."""

    def __init__(self, generator: TransformersGenerator):
        self.generator, self.path = generator, generator.path

    def continuation_logprobs(self, requests, prefix, options):
        return joined_rows_logprobs(self.generator, requests, prefix, options)


def judged(judge: ForcedVerdictJudge, requests: list) -> tuple[float, list[str]]:
    """Return the verdicts per second of `judge` over `requests`, CHUNK at a time (as the
    judging stage calls a local judge), and its replies."""
    start, replies = time.perf_counter(), []
    for i in range(0, len(requests), CHUNK):
        replies += [g.text for g in judge.generate(requests[i : i + CHUNK])]
    return len(requests) / (time.perf_counter() - start), replies


def logprob_gap(a: list[str], b: list[str]) -> float:
    """Return the largest difference between two replies' printed log-probabilities."""
    import re

    def numbers(text: str) -> list[float]:
        return [float(x) for x in re.findall(r"= (-?[0-9.]+)", text)]

    pairs = (zip(numbers(s), numbers(t), strict=True) for s, t in zip(a, b, strict=True))
    return max(abs(x - y) for pair in pairs for x, y in pair)


def main() -> None:
    resolved = resolve_model("embedded:smollm2-135m", None, default_cache_dir())
    generator = TransformersGenerator(resolved, dtype="float32", device="cpu")
    requests = grading_requests(generator)
    ours, earlier = ForcedVerdictJudge(generator), ForcedVerdictJudge(EarlierScoring(generator))
    ours.generate(requests[:2])  # warm-up
    # Interleaved, best of two each, so machine noise falls on both alike.
    rates: dict[str, float] = {"ours": 0.0, "earlier": 0.0}
    replies: dict[str, list[str]] = {}
    for _ in range(2):
        for name, judge in (("earlier", earlier), ("ours", ours)):
            rate, replies[name] = judged(judge, requests)
            rates[name] = max(rates[name], rate)
    n = len(requests)
    same = sum(a == b for a, b in zip(replies["ours"], replies["earlier"], strict=True))
    verdict = [r.rsplit("VERDICT: ", 1)[-1] for r in replies["ours"]]
    verdict_earlier = [r.rsplit("VERDICT: ", 1)[-1] for r in replies["earlier"]]
    record(
        "judge_forced",
        [
            {"metric": "forced verdicts per second (procsft)", "value": round(rates["ours"], 2)},
            {
                "metric": "forced verdicts per second (earlier scoring)",
                "value": round(rates["earlier"], 2),
            },
            {
                "metric": "procsft / earlier forced verdicts per second",
                "value": rates["ours"] / rates["earlier"],
                "goal": 2.0,
            },
            {"metric": f"judge replies byte-identical (of {n})", "value": same, "goal": n},
            {
                "metric": f"verdicts identical (of {n})",
                "value": sum(a == b for a, b in zip(verdict, verdict_earlier, strict=True)),
                "goal": n,
            },
            {
                "metric": "largest printed log-probability difference",
                "value": logprob_gap(replies["ours"], replies["earlier"]),
            },
        ],
    )


if __name__ == "__main__":
    main()
