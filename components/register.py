"""The register step: the run's adapters into the MLflow model registry."""

from kfp import dsl
from kfp.dsl import Input, Model

from components.images import BASE_IMAGE
from components.study_run import study_run


@dsl.component(base_image=BASE_IMAGE, install_kfp_package=False, additional_funcs=[study_run])
def register(
    config_yaml: str, run_root: str, run_id: str, tracking_uri: str, adapters: Input[list[Model]]
) -> str:
    """Return what the registry recorded for the run's adapters (JSON), or why it was skipped.

    The adapters are read from the run folder; `adapters` (every train output) orders this step
    after all training and shows the lineage in the UI.
    """
    import json

    config, run = study_run(config_yaml, run_root, run_id)
    try:
        from procsft.store.registry import register_run_adapters
    except ImportError:
        reason = "skipped: procsft.store.registry.register_run_adapters is not available"
        print(f"register: {reason}")
        return reason
    records = register_run_adapters(run.root, tracking_uri or config.storage.tracking_uri)
    print(f"register: {len(adapters)} students' adapters: {records}")
    return json.dumps(records, default=str)
