"""Judging: every episode × every scorer → verdict rows, and what each judge paid for."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from procsft.config import Scorer, StudyConfig
from procsft.inference.factory import api_generator
from procsft.inference.models import default_cache_dir, resolve_model
from procsft.judge.extractor import score_extractor
from procsft.judge.llm import (
    JUDGE_ERROR,
    JudgeSpend,
    SpendLedger,
    VerdictCache,
    cache_key,
    judge_episodes,
    judge_request,
)
from procsft.schema import Episode, RowLog, Task, Verdict


def spend_path(verdicts_path: Path) -> Path:
    """Return the spend ledger of a verdicts file: `verdicts.jsonl` → `verdicts.spend.jsonl`."""
    return verdicts_path.with_name(f"{verdicts_path.stem}.spend.jsonl")


def judge_all(
    config: StudyConfig,
    tasks: Sequence[Task],
    episodes: Sequence[Episode],
    verdicts_path: Path,
) -> tuple[list[Verdict], dict[str, Any]]:
    """Score every episode with every configured scorer; return the verdicts and stage facts.

    Resumable: verdicts already in `verdicts_path` are kept, cached LLM verdicts cost nothing,
    and verdicts that failed with a judge error are asked again. What each judge paid for is
    entered in `<verdicts>.spend.jsonl` beside them, across every process of the run.
    """
    by_id = {t.task_id: t for t in tasks}
    log = RowLog(verdicts_path, Verdict)
    retried = log.forget(lambda v: v.reason.startswith(JUDGE_ERROR))
    cache = VerdictCache((config.storage.cache_dir or default_cache_dir()) / "verdicts")
    spend = JudgeSpend(config.judge_budget.max_tokens, config.judge_budget.max_usd)
    ledger = SpendLedger(spend_path(verdicts_path))
    engines = {s.name: judge_engine(config, s) for s in config.scorers if s.kind == "llm"}
    try:
        for scorer in config.scorers:
            missing = [e for e in episodes if f"{e.episode_id}|{scorer.name}" not in log]
            if scorer.kind == "extractor":
                log.append(
                    score_extractor(e, by_id[e.task_id], scorer.name, lenient=scorer.lenient)
                    for e in missing
                )
                continue
            judge_path, make_generator, chunk = engines[scorer.name]
            judge_episodes(
                missing,
                by_id,
                scorer.name,
                make_generator,
                judge_path=judge_path,
                cache=cache,
                spend=spend,
                ledger=ledger,
                max_new_tokens=scorer.max_new_tokens,
                chunk=chunk,
                emit=log.append,
            )
    finally:
        ledger.close()
    order = [f"{e.episode_id}|{s.name}" for e in episodes for s in config.scorers]
    verdicts = log.finalize(order)
    judges = {
        s.name: judge_facts(s, engines[s.name][0], ledger, by_id, episodes, verdicts)
        for s in config.scorers
        if s.kind == "llm"
    }
    return verdicts, {"retried_errors": retried, "judges": judges}


def judge_facts(
    scorer: Scorer,
    judge_path: dict,
    ledger: SpendLedger,
    tasks: dict[str, Task],
    episodes: Sequence[Episode],
    verdicts: Sequence[Verdict],
) -> dict[str, Any]:
    """Return one judge's facts for the whole run, whatever process made them: the requests it
    paid for and their tokens and cost (from the spend ledger), the verdicts an earlier run's
    replies answered (`cached`), and the replies with no verdict line (`unparseable`)."""
    totals = ledger.totals(scorer.name)
    paid = ledger.paid_keys(scorer.name)
    requests = (
        judge_request(tasks[e.task_id], e.response, scorer.max_new_tokens)
        for e in episodes
        if not e.reasoning_cut_off  # never sent to a judge
    )
    totals.cached = sum(cache_key(judge_path, r) not in paid for r in requests)
    totals.unparseable = sum(
        v.scorer == scorer.name and v.reason.startswith("unparseable") for v in verdicts
    )
    return {"judge": judge_path, **totals.as_dict()}


def judge_engine(config: StudyConfig, scorer: Scorer) -> tuple[dict, Callable, int]:
    """Return an LLM judge's identity (for the verdict cache), a maker of its generator, and
    its chunk: the episodes per call of a local judge (one padded batch), the verdict rows per
    write of an API judge (whose requests flow without batches)."""
    if scorer.backend == "transformers":
        from procsft.inference.transformers_backend import TransformersGenerator

        cache = config.storage.cache_dir or default_cache_dir()
        resolved = resolve_model(scorer.model, None, cache)
        identity = {
            "engine": "transformers",
            "model_id": resolved.model_id,
            "weights_sha256": resolved.weights_sha256,
            "dtype": config.compute.dtype,
        }
        maker = partial(
            TransformersGenerator,
            resolved,
            dtype=config.compute.dtype,
            device=config.compute.device,
        )
        if scorer.verdict == "forced":
            identity["verdict"] = "forced"
            maker = _forced(maker)
        return identity, maker, config.compute.batch_size
    identity = {"engine": scorer.backend, "model_id": scorer.model, "base_url": scorer.base_url}
    maker = partial(api_generator, scorer.backend, scorer.model, scorer)
    return identity, maker, 4 * scorer.max_concurrency


def _forced(make_model: Callable) -> Callable:
    """Return a maker of the forced-choice judge over the model `make_model` loads."""
    from procsft.judge.forced import ForcedVerdictJudge

    return lambda: ForcedVerdictJudge(make_model())
