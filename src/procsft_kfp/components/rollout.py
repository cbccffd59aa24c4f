"""The rollout step: the episodes of one configuration (a student stage, or a reference)."""

from kfp import dsl
from kfp.dsl import Dataset, Input, Model, Output

from procsft_kfp.components.images import ROLLOUT_IMAGE
from procsft_kfp.components.study_run import study_run


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

    from procsft import plan, stages

    config, run = study_run(config_yaml, run_root, run_id)
    configuration = plan.configuration(config, f"{model}/{variant}")
    stages.rollout_stage(config, run, only=configuration.name)
    shutil.copyfile(run.shard(configuration.name), episodes.path)
    episodes.metadata["configuration"] = configuration.name
