"""The collect-shards step: one student's post rollouts bundled into one artifact, so the judge
step can restore their shards (KFP local hands a step a nested loop's outputs as a list of
lists, which it cannot take)."""

from kfp import dsl
from kfp.dsl import Dataset, Input, Output

from procsft_kfp.components.images import BASE_IMAGE
from procsft_kfp.components.restore import bundle


@dsl.component(base_image=BASE_IMAGE, install_kfp_package=False, additional_funcs=[bundle])
def collect_shards(episodes: Input[list[Dataset]], shards: Output[Dataset]):
    """Copy every shard (and its facts) of `episodes` into the folder `shards`, at its place in
    the run folder, described so that the judge step restores any the volume lacks."""
    bundle(episodes, shards)
