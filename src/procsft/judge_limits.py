"""The limits of the judge-pass checks (`analysis.judge_limits` in a study config), which
`procsft.analysis.judge_checks` holds the verdicts, episodes and distilled corpus to.

Part of the config (`StudyConfig.analysis.judge_limits`, `procsft.config_sections`) and
validated with it."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from procsft.config_base import Strict

JudgeCheckMode = Literal["warn", "fail"]
"""What a failed judge check does: `warn` marks every number it affects, `fail` stops the run."""


class JudgeLimits(Strict):
    """Where each judge-pass check draws its line, per scorer × configuration × condition.

    The defaults flag a judge that says nothing about the students (one that passes or fails
    nearly everything, or agrees with the extractor no better than chance, as the embedded
    study's 135M forced-choice judge does) while letting a usable judge through:

    - pass rate within [0.05, 0.95]: a judge outside it decides almost nothing by the response.
      A study whose models solve nearly every task (a frontier reference, curated prompts)
      may widen it;
    - κ ≥ 0.2 with each extractor on the episodes both decide: 0.2 is the top of Landis and
      Koch's "slight" agreement; a judge below it is not reading the answer;
    - undecided share ≤ 0.1, judge-error share ≤ 0.02: fewer verdicts behind every number;
      an extractor's verdicts on tasks without a reference (judge-only tasks) are not counted,
      it cannot decide them by design;
    - episodes cut at `max_new_tokens` ≤ 0.2 and empty responses ≤ 0.05: a truncated or empty
      answer fails under every scorer, whatever the skill block did;
    - on a distilled corpus, per skill: judge-pass rate ≥ 0.5 and at least 1 kept row.
    """

    max_undecided_share: float = Field(0.1, ge=0, le=1)
    """Most undecided verdicts (of those the scorer can decide) per cell; default 0.1."""
    max_judge_error_share: float = Field(0.02, ge=0, le=1)
    """Most `judge error` verdicts (failed requests) of an LLM judge per cell; default 0.02."""
    min_pass_rate: float = Field(0.05, ge=0, le=1)
    """Lowest pass rate of an LLM judge per cell; default 0.05 (fails nearly everything)."""
    max_pass_rate: float = Field(0.95, ge=0, le=1)
    """Highest pass rate of an LLM judge per cell; default 0.95 (passes nearly everything)."""
    min_kappa: float = Field(0.2, ge=-1, le=1)
    """Lowest Cohen's κ of an LLM judge with each extractor, per cell; default 0.2."""
    max_cut_off_share: float = Field(0.2, ge=0, le=1)
    """Most episodes cut at `max_new_tokens` per configuration × condition; default 0.2."""
    max_empty_share: float = Field(0.05, ge=0, le=1)
    """Most empty responses per configuration × condition; default 0.05."""
    min_corpus_pass_rate: float = Field(0.5, ge=0, le=1)
    """Lowest judge-pass rate of a skill's distilled demonstrations; default 0.5."""
    min_corpus_rows: int = Field(1, ge=0)
    """Fewest corpus rows a distillation may keep for a skill; default 1."""

    @model_validator(mode="after")
    def _bounds_in_order(self) -> JudgeLimits:
        if self.min_pass_rate > self.max_pass_rate:
            raise ValueError("`min_pass_rate` is above `max_pass_rate`")
        return self
