"""The judge step: every shard merged into the episodes, then scored by every scorer."""

from kfp import dsl
from kfp.dsl import Dataset, Input, Output

from procsft_kfp.components.images import BASE_IMAGE
from procsft_kfp.components.restore import carry, restore
from procsft_kfp.components.study_run import study_run


@dsl.component(
    base_image=BASE_IMAGE,
    install_kfp_package=False,
    additional_funcs=[study_run, carry, restore],
)
def judge(
    config_yaml: str,
    run_root: str,
    run_id: str,
    episodes: Output[Dataset],
    verdicts: Output[Dataset],
    pre_shards: Input[list[Dataset]] = None,
    post_shards: Input[list[Dataset]] = None,
):
    """Merge the rollout shards into `episodes.jsonl`, score them into `verdicts.jsonl`
    (resuming what an earlier try scored), and copy both out.

    A shard the run folder lacks (its rollout step was a cache hit) is restored from the pre
    rollouts' outputs (`pre_shards`) or from each student's bundle of post rollouts
    (`post_shards`). Reference rollouts are never cached, so they always wrote theirs."""
    from procsft import stages

    config, run = study_run(config_yaml, run_root, run_id)
    for shards in (pre_shards or [], post_shards or []):
        for shard in shards:
            restore(shard, run.root)
    episodes.metadata["rows"] = len(stages.collect_episodes(config, run))
    verdicts.metadata["rows"] = len(stages.judge_stage(config, run))
    carry(episodes, run.root, {"": run.episodes})
    carry(verdicts, run.root, {"": run.verdicts})
