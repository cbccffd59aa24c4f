"""Judging: every episode × every scorer → verdict rows, and what each judge paid for."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from procsft.config import Compute, Scorer, StudyConfig
from procsft.errors import ExitCode, ProcsftError
from procsft.inference.decoding import CONTINUATIONS
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
    *,
    rescore: bool = False,
) -> tuple[list[Verdict], dict[str, Any]]:
    """Score every episode with every configured scorer; return the verdicts and stage facts.

    Resumable: verdicts already in `verdicts_path` are kept, cached LLM verdicts cost nothing,
    and verdicts that failed with a judge error are asked again. What each judge paid for is
    entered in `<verdicts>.spend.jsonl` beside them, across every process of the run.
    `rescore` makes every verdict again instead of keeping the file's rows (they may come from
    other scorers of the same name, or another prompt version): the cache still answers every
    grading request it holds, so an unchanged judge sends nothing.
    """
    by_id = {t.task_id: t for t in tasks}
    log = RowLog(verdicts_path, Verdict)
    retried = log.forget(is_judge_error)
    if rescore:
        log.forget(lambda _: True)
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
    errors = sum(v.scorer == scorer.name and is_judge_error(v) for v in verdicts)
    return {"judge": judge_path, **totals.as_dict(), "judge_errors": errors}


def is_judge_error(verdict: Verdict) -> bool:
    """Return whether `verdict` is undecided because its judge request failed after its
    retries (a rerun asks again), rather than because the judge gave no verdict line."""
    return verdict.reason.startswith(JUDGE_ERROR)


class JudgingIncomplete(ProcsftError):
    """Judge requests failed after their retries: their verdicts are undecided, every other
    verdict is kept, and a rerun asks only for those."""

    exit_code = ExitCode.API_FAILED


def check_decided(verdicts: Sequence[Verdict]) -> None:
    """Raise JudgingIncomplete, one line naming how many verdicts judge errors left undecided
    (per scorer) and the first error, when any did; the run's files are written first, so the
    report shows the count."""
    errors = [v for v in verdicts if is_judge_error(v)]
    if errors:
        per_scorer = ", ".join(
            f"{s} {n}" for s, n in sorted(Counter(v.scorer for v in errors).items())
        )
        first = errors[0].reason.removeprefix(JUDGE_ERROR)
        raise JudgingIncomplete(
            f"{len(errors)} verdicts undecided: judge requests failed after their retries "
            f"({per_scorer}), first: {first}; rerun to ask only for those"
        )


def judge_engine(config: StudyConfig, scorer: Scorer) -> tuple[dict, Callable, int]:
    """Return an LLM judge's identity (for the verdict cache), a maker of its generator, and
    its chunk: the episodes per call of a local judge (one padded batch), the verdict rows per
    write of an API judge (whose requests flow without batches)."""
    return scorer_engine(scorer, config.compute, config.storage.cache_dir or default_cache_dir())


def scorer_engine(scorer: Scorer, compute: Compute, cache: Path) -> tuple[dict, Callable, int]:
    """Return `judge_engine` for a judge outside a study's scorers (the distill filter's)."""
    if scorer.backend == "transformers":
        from procsft.inference.transformers_backend import TransformersGenerator

        resolved = resolve_model(scorer.model, None, cache)
        identity = {
            "engine": "transformers",
            "model_id": resolved.model_id,
            "weights_sha256": resolved.weights_sha256,
            "dtype": compute.dtype,
        }
        maker = partial(
            TransformersGenerator,
            resolved,
            dtype=compute.dtype,
            device=compute.device,
        )
        if scorer.verdict == "forced":
            identity["verdict"] = "forced"
            identity["continuations"] = CONTINUATIONS  # how the log-probabilities are computed
            maker = _forced(maker)
        return identity, maker, compute.batch_size
    identity = {"engine": scorer.backend, "model_id": scorer.model, "base_url": scorer.base_url}
    maker = partial(api_generator, scorer.backend, scorer.model, scorer)
    return identity, maker, 4 * scorer.max_concurrency


def _forced(make_model: Callable) -> Callable:
    """Return a maker of the forced-choice judge over the model `make_model` loads."""
    from procsft.judge.forced import ForcedVerdictJudge

    return lambda: ForcedVerdictJudge(make_model())
