"""The rollout step: the episodes of one configuration (a student stage, or a reference)."""

from kfp import dsl
from kfp.dsl import Dataset, Input, Model, Output

from components.images import ROLLOUT_IMAGE
from components.study_run import study_run


@dsl.component(base_image=ROLLOUT_IMAGE, install_kfp_package=False, additional_funcs=[study_run])
def rollout(
    config_yaml: str,
    run_root: str,
    run_id: str,
    model: str,
    variant: str,
    episodes: Output[Dataset],
    adapters: Input[Model] = None,
):
    """Roll out configuration `<model>/<variant>` (variant `pre`, `post/<recipe>/seed<n>` or
    `reference`) into its shard and copy the shard to `episodes`.

    The adapter is read from the run folder; `adapters` (the student's train output, post only)
    orders this step after training and keys its cache entry to that training.
    """
    import shutil

    from procsft import stages

    config, run = study_run(config_yaml, run_root, run_id)
    name = f"{model}/{variant}"
    planned = [configuration.name for configuration, _, _ in stages.configurations(config, run)]
    if name not in planned:
        raise ValueError(f"configuration {name!r} is not in the config; it plans {planned}")
    stages.rollout_stage(config, run, only=name)
    shutil.copyfile(run.shard(name), episodes.path)
    episodes.metadata["configuration"] = name
