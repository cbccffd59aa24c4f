"""The train step: every adapter of one student (each recipe × seed)."""

from kfp import dsl
from kfp.dsl import Model, Output

from procsft_kfp.components.images import TRAIN_IMAGE
from procsft_kfp.components.restore import carry
from procsft_kfp.components.study_run import study_run


@dsl.component(
    base_image=TRAIN_IMAGE, install_kfp_package=False, additional_funcs=[study_run, carry]
)
def train(config_yaml: str, run_root: str, run_id: str, student: str, adapters: Output[Model]):
    """Train (or resume, or keep) the student's adapters in the run folder and copy them to
    `adapters` as `<recipe>/seed<n>/`, described so that a later step restores them (a cached
    training is skipped even when the volume lost its adapters)."""
    from rich.console import Console

    from procsft import stages

    config, run = study_run(config_yaml, run_root, run_id)
    trained = stages.train_stage(config, run, Console(), only=student)
    if not trained:
        raise ValueError(f"no adapters to train for student {student!r} (is `post` a stage?)")
    carry(adapters, run.root, {a.within_student.as_posix(): f for a, f in sorted(trained.items())})
    adapters.metadata["student"] = student
    adapters.metadata["adapters"] = [a.within_student.as_posix() for a in sorted(trained)]
