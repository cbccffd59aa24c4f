"""Secrets as environment variables: API keys for API-bound steps, S3 keys for the stores."""

from kfp import dsl, kubernetes

from procsft.config import StudyConfig

DEFAULT_KEY_ENV = {"anthropic": "ANTHROPIC_API_KEY", "openai": "OPENAI_API_KEY"}
"""The variable each backend's client reads when a config names none (`api_key_env: null`)."""
S3_KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")


def api_key_envs(config: StudyConfig) -> list[str]:
    """Return the variables the config's references, API judges and API teacher read their
    keys from."""
    judges = [*config.scorers, *filter(None, [config.distill_judge()])]
    clients = [*config.references, *(s for s in judges if s.backend in DEFAULT_KEY_ENV)]
    names = {c.api_key_env or DEFAULT_KEY_ENV[c.backend] for c in clients}
    distill = config.distill
    if distill is not None and distill.teacher_backend in DEFAULT_KEY_ENV:
        names.add(distill.api_key_env or DEFAULT_KEY_ENV[distill.teacher_backend])
    return sorted(names)


def use_env_secret(task: dsl.PipelineTask, secret: str, names: list[str]) -> dsl.PipelineTask:
    """Return `task` with each of `names` set from the key of that name in Secret `secret`
    (optional: a step that needs no key still runs where the Secret is absent)."""
    if names:
        kubernetes.use_secret_as_env(task, secret, {n: n for n in names}, optional=True)
    return task


def use_api_keys(task: dsl.PipelineTask, secret: str, config: StudyConfig) -> dsl.PipelineTask:
    """Return `task` with the config's API keys from Secret `secret`."""
    return use_env_secret(task, secret, api_key_envs(config))


def use_s3_credentials(task: dsl.PipelineTask, secret: str) -> dsl.PipelineTask:
    """Return `task` with the S3 access key pair from Secret `secret`."""
    return use_env_secret(task, secret, list(S3_KEYS))
