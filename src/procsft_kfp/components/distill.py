"""The distill step (optional): a teacher re-writes the run's corpus before validation. The
pipeline runs it in the CPU image for the programmatic or an API teacher, in the training image
on a GPU for a local model."""

from kfp import dsl
from kfp.dsl import Dataset, Output

from procsft_kfp.components.images import TRAIN_IMAGE
from procsft_kfp.components.study_run import study_run


@dsl.component(base_image=TRAIN_IMAGE, install_kfp_package=False, additional_funcs=[study_run])
def distill(config_yaml: str, run_root: str, run_id: str, teacher: str, corpus: Output[Dataset]):
    """Build the suite, replace its corpus by the demonstrations the teacher writes that the
    config's `distill:` filter passes (the extractor, an LLM judge, or both), and copy that
    corpus to `corpus`. `teacher` (`programmatic`, `anthropic:<model>`, `openai:<model>` or a
    model source) overrides the section's; empty: the section's own."""
    import shutil
    from pathlib import Path

    from procsft import stages
    from procsft.study import open_run

    config, run = study_run(config_yaml, run_root, run_id)
    run = open_run(config, Path("config_yaml"), run.root.name)
    stages.suite_stage(config, run)
    stages.distill_stage(config, run, teacher or None)
    shutil.copyfile(run.corpus, corpus.path)
