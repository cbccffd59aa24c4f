"""The adapter-effect probe: prove an adapter is really applied before a post-SFT rollout.

vLLM issue #49354: for Qwen3.5 hybrid models, vLLM's `enable_lora` can leave generations
identical to the base model while HF PEFT changes them. A post-SFT rollout whose adapter is
silently ignored would report a lift of exactly zero, so the probe compares the base and the
adapted model on the same engine and stops when nothing changes.
"""

from __future__ import annotations

from collections.abc import Sequence

from procsft.errors import ExitCode, ProcsftError
from procsft.inference.protocol import GenerationRequest, Generator

PROBE_TOKENS = 24


class AdapterNotApplied(ProcsftError):
    """The adapted model generated exactly what the base model generated."""

    exit_code = ExitCode.ADAPTER_NOT_APPLIED


def probe_requests(prompts: Sequence[str]) -> list[GenerationRequest]:
    """Return greedy, short requests for `prompts`: enough to see a changed model."""
    return [
        GenerationRequest(messages=[{"role": "user", "content": p}], max_new_tokens=PROBE_TOKENS)
        for p in prompts
    ]


def check_adapter_effect(base: Generator, adapted: Generator, prompts: Sequence[str]) -> int:
    """Return how many probe prompts the adapter changes; raise AdapterNotApplied when none."""
    if base.path.get("engine") != adapted.path.get("engine"):
        raise ValueError("the probe compares two generators on the same engine")
    requests = probe_requests(prompts)
    # Token ids where the engine has them: stripped text hides a change of whitespace.
    before = [(g.token_ids, g.text) for g in base.generate(requests)]
    after = [(g.token_ids, g.text) for g in adapted.generate(requests)]
    changed = sum(a != b for a, b in zip(before, after, strict=True))
    if changed == 0:
        raise AdapterNotApplied(
            f"adapter {adapted.path.get('adapter_sha256', '?')[:12]} changes none of "
            f"{len(prompts)} probe outputs on engine {adapted.path.get('engine')}: it is not "
            "applied (see vLLM #49354) or it is untrained"
        )
    return changed
