"""Reasoning traces: a reply's `<think>…</think>` text kept apart from the answer it gives.

Qwen3-family chat templates can switch on a thinking mode whose trace comes before the answer,
and other harnesses lost whole benchmarks by scoring it (lm-evaluation-harness #3161, #3576;
lighteval #869). Every episode's reply is split here: the trace goes to `Episode.reasoning`,
scorers and judges see only the rest (`Episode.response`), and a trace that never closes (the
token budget ran out inside it) leaves no answer: the episode is *cut off*, and every scorer
leaves it undecided rather than failing it.
"""

from __future__ import annotations

from dataclasses import dataclass

from procsft.config import Reasoning
from procsft.schema import Episode, Verdict

DEFAULT_MARKERS = Reasoning()
"""`<think>` and `</think>`: a config that keeps them records no markers (older paths and reuse
keys keep their bytes)."""
CUT_OFF = "cut off: "
"""Reason prefix of the verdict on a cut-off episode (counted apart from other undecided ones)."""


@dataclass(frozen=True)
class Split:
    response: str
    """The reply without its trace: what is scored."""
    reasoning: str | None
    """The trace's text (several traces joined by a blank line); `None` when there is none."""
    cut_off: bool
    """The last trace never closed, so the reply holds no answer."""


def marker_fields(markers: Reasoning) -> dict[str, list[str]]:
    """Return the markers as a path or reuse-key field, `{}` for the default ones."""
    if markers == DEFAULT_MARKERS:
        return {}
    return {"reasoning_markers": [markers.open, markers.close]}


def prompt_opens_trace(prompt: str, markers: Reasoning) -> bool:
    """Return whether a rendered prompt ends inside a trace: a thinking template that puts the
    open marker at the start of the reply (`<|im_start|>assistant\\n<think>\\n`), so the model
    writes the trace and then the close marker."""
    return prompt.rstrip().endswith(markers.open)


def split_reasoning(text: str, markers: Reasoning, *, opened: bool = False) -> Split:
    """Return `text` split into response and reasoning trace.

    `opened`: the prompt already opened a trace (`prompt_opens_trace`). A close marker before
    any open marker means the same (a server rendered such a template), so its text up to that
    marker is the trace. A reply with no marker comes back unchanged, byte for byte.
    """
    first_close, first_open = text.find(markers.close), text.find(markers.open)
    if not opened and first_close != -1 and (first_open == -1 or first_close < first_open):
        opened = True
    if not opened and first_open == -1:
        return Split(text, None, False)
    if opened:
        text = markers.open + text
    kept, traces, at = [], [], 0
    while (start := text.find(markers.open, at)) != -1:
        kept.append(text[at:start])
        inside = start + len(markers.open)
        end = text.find(markers.close, inside)
        if end == -1:  # the reply ended inside the trace
            traces.append(text[inside:].strip())
            return Split("".join(kept).strip(), "\n\n".join(traces), True)
        traces.append(text[inside:end].strip())
        at = end + len(markers.close)
    kept.append(text[at:])
    return Split("".join(kept).strip(), "\n\n".join(traces), False)


def cut_off_verdict(episode: Episode, scorer: str) -> Verdict:
    """Return `scorer`'s verdict on a cut-off episode: undecided, never a wrong answer, and
    never sent to a judge (there is no answer to grade)."""
    return Verdict.of(
        episode,
        scorer,
        passed=None,
        format_ok=False,
        extracted=None,
        reason=CUT_OFF + "the reasoning trace never closed",
    )
