"""The publish step: the run manifest, the MLflow runs and the adapters' registry versions."""

from kfp import dsl
from kfp.dsl import Dataset, Input, Model

from procsft_kfp.components.images import BASE_IMAGE
from procsft_kfp.components.restore import restore
from procsft_kfp.components.study_run import study_run


@dsl.component(
    base_image=BASE_IMAGE, install_kfp_package=False, additional_funcs=[study_run, restore]
)
def publish(
    config_yaml: str,
    run_root: str,
    run_id: str,
    tracking_uri: str,
    summary: Input[Dataset],
    adapters: Input[list[Model]] = None,
) -> str:
    """Return what was published (JSON), as `procsft run` publishes: `run_manifest.json` with
    every artifact's sha256 and store URI, an MLflow parent run with a child per configuration,
    and every adapter registered. The parallel train steps leave the manifest's `train` stage
    to this step. An unreachable store or tracking server leaves the run complete in its folder
    and says so; `summary` orders this step after the analysis. Adapters the volume lacks (their
    training was a cache hit) are restored from `adapters`, every student's train output."""
    import json

    from rich.console import Console

    from procsft import stages
    from procsft.store.redact import redact

    config, run = study_run(config_yaml, run_root, run_id)
    for trained in adapters or []:
        restore(trained, run.root)
    if tracking_uri:
        storage = config.storage.model_copy(update={"tracking_uri": tracking_uri})
        config = config.model_copy(update={"storage": storage})
    stages.record_train_stage(config, run)
    return json.dumps(redact(stages.publish_stage(config, run, Console())))
