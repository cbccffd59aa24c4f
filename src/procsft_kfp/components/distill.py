"""The distill step (optional): a teacher re-writes the run's corpus before validation."""

from kfp import dsl
from kfp.dsl import Dataset, Output

from procsft_kfp.components.images import TRAIN_IMAGE
from procsft_kfp.components.study_run import study_run


@dsl.component(base_image=TRAIN_IMAGE, install_kfp_package=False, additional_funcs=[study_run])
def distill(config_yaml: str, run_root: str, run_id: str, teacher: str, corpus: Output[Dataset]):
    """Build the suite, replace its corpus by the demonstrations `teacher` (`programmatic` or a
    model source) writes that the extractor passes, and copy that corpus to `corpus`."""
    import shutil
    from pathlib import Path

    from procsft import stages
    from procsft.study import open_run

    config, run = study_run(config_yaml, run_root, run_id)
    run = open_run(config, Path("config_yaml"), run.root.name)
    stages.suite_stage(config, run)
    stages.distill_stage(config, run, teacher)
    shutil.copyfile(run.corpus, corpus.path)
