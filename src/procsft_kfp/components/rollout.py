"""The rollout step: the episodes of one configuration (a student stage, or a reference)."""

from kfp import dsl
from kfp.dsl import Dataset, Input, Model, Output

from procsft_kfp.components.images import ROLLOUT_IMAGE
from procsft_kfp.components.restore import carry, restore
from procsft_kfp.components.study_run import study_run


@dsl.component(
    base_image=ROLLOUT_IMAGE,
    install_kfp_package=False,
    additional_funcs=[study_run, carry, restore],
)
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
    `reference`) into its shard and copy the shard, with its facts, to `episodes`.

    The adapter is read from the run folder, restored from `adapters` (the student's train
    output, post only) when the volume lacks it: a cached training left nothing there.
    """
    from procsft import plan, stages

    config, run = study_run(config_yaml, run_root, run_id)
    configuration = plan.configuration(config, f"{model}/{variant}")
    if adapters is not None and configuration.adapter is not None:
        restore(adapters, run.root, only={configuration.adapter.folder.as_posix()})
    stages.rollout_stage(config, run, only=configuration.name)
    shard = run.shard(configuration.name)
    carry(episodes, run.root, {"": shard}, inline=(run.shard_facts_file(configuration.name),))
    episodes.metadata["configuration"] = configuration.name
