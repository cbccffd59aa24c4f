"""The distill step (optional): a teacher re-writes the run's corpus before validation."""

from kfp import dsl
from kfp.dsl import Dataset, Output

from components.images import TRAIN_IMAGE
from components.study_run import study_run


@dsl.component(base_image=TRAIN_IMAGE, install_kfp_package=False, additional_funcs=[study_run])
def distill(config_yaml: str, run_root: str, run_id: str, teacher: str, corpus: Output[Dataset]):
    """Build the suite, replace its corpus by the demonstrations `teacher` (`programmatic` or a
    model source) writes that the extractor passes, and copy that corpus to `corpus`."""
    import shutil
    from pathlib import Path

    from procsft import stages
    from procsft.cli import main
    from procsft.study import open_run

    config, run = study_run(config_yaml, run_root, run_id)
    run = open_run(config, Path("config_yaml"), run.root.name)
    stages.suite_stage(config, run)
    if main(["distill", "--suite", str(run.holdout.parent), "--teacher", teacher]) != 0:
        raise RuntimeError(f"distillation with teacher {teacher!r} failed (see the line above)")
    shutil.copyfile(run.corpus, corpus.path)
