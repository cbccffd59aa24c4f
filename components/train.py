"""The train step: every adapter of one student (each recipe × seed)."""

from kfp import dsl
from kfp.dsl import Model, Output

from components.images import TRAIN_IMAGE
from components.study_run import study_run


@dsl.component(base_image=TRAIN_IMAGE, install_kfp_package=False, additional_funcs=[study_run])
def train(config_yaml: str, run_root: str, run_id: str, student: str, adapters: Output[Model]):
    """Train (or resume, or keep) the student's adapters in the run folder and copy them to
    `adapters` as `<recipe>/seed<n>/`."""
    import shutil
    from pathlib import Path

    from rich.console import Console

    from procsft import stages

    config, run = study_run(config_yaml, run_root, run_id)
    trained = stages.train_stage(config, run, Console(), only=student)
    if not trained:
        raise ValueError(f"no adapters to train for student {student!r} (is `post` a stage?)")
    for (_, recipe, seed), folder in sorted(trained.items()):
        shutil.copytree(folder, Path(adapters.path) / recipe / f"seed{seed}")
    adapters.metadata["student"] = student
    adapters.metadata["adapters"] = [f"{r}/seed{s}" for _, r, s in sorted(trained)]
