"""The validate step: the suite into the run folder, then its validation; gates every other step."""

from kfp import dsl
from kfp.dsl import Markdown, Output

from procsft_kfp.components.images import BASE_IMAGE
from procsft_kfp.components.study_run import study_run


@dsl.component(base_image=BASE_IMAGE, install_kfp_package=False, additional_funcs=[study_run])
def validate(
    config_yaml: str, run_root: str, run_id: str, plan: list, validation: Output[Markdown]
) -> str:
    """Return the run folder, created with its suite, once the suite passes validation.

    `plan` is the configuration list the pipeline was compiled for: a `config_yaml` given at
    submit time that plans other configurations would leave steps out, so it is refused.
    """
    import shutil
    from pathlib import Path

    from rich.console import Console

    from procsft import stages
    from procsft.plan import configurations
    from procsft.study import open_run

    config, run = study_run(config_yaml, run_root, run_id)
    planned = [configuration.name for configuration in configurations(config)]
    if planned != plan:
        raise ValueError(f"config_yaml plans {planned}; the pipeline was compiled for {plan}")
    # Only this step writes config.yaml: the steps after it run in parallel.
    run = open_run(config, Path("config_yaml"), run.root.name)
    stages.suite_stage(config, run)
    stages.validate_stage(config, run, Console())
    shutil.copyfile(run.validation / "validation.md", validation.path)
    return str(run.root)
