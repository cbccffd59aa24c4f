"""The judge step: every shard merged into the episodes, then scored by every scorer."""

from kfp import dsl
from kfp.dsl import Dataset, Output

from procsft_kfp.components.images import BASE_IMAGE
from procsft_kfp.components.study_run import study_run


@dsl.component(base_image=BASE_IMAGE, install_kfp_package=False, additional_funcs=[study_run])
def judge(
    config_yaml: str,
    run_root: str,
    run_id: str,
    episodes: Output[Dataset],
    verdicts: Output[Dataset],
):
    """Merge the rollout shards into `episodes.jsonl`, score them into `verdicts.jsonl`
    (resuming what an earlier try scored), and copy both out."""
    import shutil

    from procsft import stages

    config, run = study_run(config_yaml, run_root, run_id)
    episodes.metadata["rows"] = len(stages.collect_episodes(config, run))
    verdicts.metadata["rows"] = len(stages.judge_stage(config, run))
    for source, target in ((run.episodes, episodes), (run.verdicts, verdicts)):
        shutil.copyfile(source, target.path)
