"""The one prompt template: how a task becomes chat messages under each condition.

Rollout uses it for every episode and SFT uses it (condition `curated`) to format corpus rows,
so training and evaluation prompts cannot drift apart.
"""

from __future__ import annotations

from procsft.config import Condition
from procsft.schema import Skill, Task

PROMPT_VERSION = "v1"
SYSTEM_PROMPT = (
    "You solve problems. Show your work, then give the final answer on the last line in the "
    "form `ANSWER: <answer>`."
)


def build_messages(task: Task, skill: Skill, condition: Condition) -> list[dict[str, str]]:
    """Return the chat messages for `task`: the task alone (`baseline`) or with its skill block."""
    if condition == "baseline":
        user = task.prompt
    else:
        user = f"{skill.block()}\n\nFollow the procedure above to solve this task.\n\n{task.prompt}"
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]
