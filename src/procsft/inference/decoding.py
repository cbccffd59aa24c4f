"""What the engines share so their outputs compare token for token: where a turn ends, how
generated ids become a Generation, and how chat-template kwargs enter the inference path."""

from __future__ import annotations

from typing import Any

from procsft.inference.protocol import Generation

GREEDY_DECODER = "shrinking-batch-v1"
"""The path value of procsft's greedy loop (`procsft.inference.greedy`); a change to what it
computes gets a new one."""
CONTINUATIONS = "shared-prefix-sorted-v1"
"""The path value of procsft's continuation scoring (`procsft.inference.continuations`), which
forced-choice verdicts use."""


def stop_token_ids(tokenizer: Any, eos: int | list[int] | None) -> list[int]:
    """Return the ids a reply stops at: the tokenizer's and the model's end-of-sequence ids,
    and ChatML's `<|im_end|>` when the vocabulary has it."""
    ids = {tokenizer.eos_token_id}
    ids.update(eos if isinstance(eos, list) else [eos])
    end_of_turn = tokenizer.convert_tokens_to_ids("<|im_end|>")
    if isinstance(end_of_turn, int) and end_of_turn != tokenizer.unk_token_id:
        ids.add(end_of_turn)
    return sorted(i for i in ids if i is not None)


def to_generation(
    tokenizer: Any, new_ids: list[int], stop_ids: list[int], prompt_tokens: int, latency: float
) -> Generation:
    """Return the Generation of `new_ids`: text up to the first stop id, whose count includes
    the stop token; no stop id means the token budget ran out."""
    stop = next((i for i, tok in enumerate(new_ids) if tok in stop_ids), None)
    kept = new_ids if stop is None else new_ids[:stop]
    return Generation(
        text=tokenizer.decode(kept, skip_special_tokens=True).strip(),
        finish_reason="length" if stop is None else "stop",
        prompt_tokens=int(prompt_tokens),
        completion_tokens=len(new_ids) if stop is None else stop + 1,
        latency_s=latency,
        token_ids=tuple(new_ids),
    )


def template_kwargs_path(chat_template_kwargs: dict[str, Any] | None) -> dict[str, Any]:
    """Return the path field of an engine's chat-template kwargs: `{}` when none are set, so
    paths (and fingerprints) of engines without them keep their bytes."""
    return {"chat_template_kwargs": dict(chat_template_kwargs)} if chat_template_kwargs else {}
