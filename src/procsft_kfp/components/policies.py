"""How a step is re-run: retries for API-bound steps, KFP caching for deterministic ones."""

from kfp import dsl


def retry_api_errors(task: dsl.PipelineTask, retries: int = 3) -> dsl.PipelineTask:
    """Return `task` retried with exponential backoff (1, 2, 4 min): rate limits and provider
    outages pass, and each try resumes the rows the previous one wrote."""
    return task.set_retry(
        num_retries=retries,
        backoff_duration="60s",
        backoff_factor=2.0,
        backoff_max_duration="3600s",
    )


def cache(task: dsl.PipelineTask, deterministic: bool) -> dsl.PipelineTask:
    """Return `task` cached by KFP when `deterministic`: its outputs are a function of its inputs
    (seeded suite, seeded training, greedy student rollouts, analysis of given verdicts). API
    rollouts and judges are never cached: a rerun must ask the provider again."""
    return task.set_caching_options(enable_caching=deterministic)
