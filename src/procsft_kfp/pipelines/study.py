"""The study pipeline of a config: validation gates everything; the students fan out (training,
then the rollouts of its adapters) beside their pre rollouts and the reference rollouts; judging
and analysis collect it all; publishing writes the run manifest and the MLflow runs and
registers the adapters; an exit step records a failed run."""

import json

from kfp import dsl
from kfp.dsl.graph_component import GraphComponent

from procsft import plan
from procsft.config import StudyConfig
from procsft_kfp.components import (
    analyze,
    collect_shards,
    distill,
    judge,
    publish,
    record_failure,
    rollout,
    train,
    validate,
)
from procsft_kfp.components.images import IMAGES, Images
from procsft_kfp.components.policies import cache, retry_api_errors
from procsft_kfp.components.resources import (
    CPU_STEP,
    ROLLOUT_STEP,
    TRAIN_STEP,
    Compute,
    request,
    request_gpus,
)
from procsft_kfp.components.scheduling import GPU_POOL_SELECTOR, place
from procsft_kfp.components.secret import use_api_keys, use_s3_credentials
from procsft_kfp.components.volume import RUNS_MOUNT, mount_runs


def build_pipeline(
    config: StudyConfig, images: Images = IMAGES, distill_teacher: str | None = None
) -> GraphComponent:
    """Return the pipeline of `config`. Its fan-out (students, adapters, references) is fixed
    here; its `config_yaml` parameter defaults to `config`, and the validate step refuses one
    that plans other configurations. A `distill:` section in `config` (or `distill_teacher`,
    which overrides its teacher) adds a step that re-distills the corpus before validation."""
    configurations = plan.configurations(config)
    students = list(dict.fromkeys(c.student for c in configurations if c.phase != "reference"))
    # Every student gets the same adapters (recipes × seeds): one inner loop serves them all.
    adapters = list(dict.fromkeys(c.variant for c in configurations if c.phase == "post"))
    references = [c.student for c in configurations if c.phase == "reference"]
    # JSON is YAML on one line: KFP writes parameter defaults into the compiled file's header
    # comment, where a multi-line default would break out of the comment.
    config_text = json.dumps(config.model_dump(mode="json"))

    @dsl.pipeline(
        name=f"procsft-{config.study}",
        description=f"procsft study {config.study} (config {config.fingerprint()[:12]}): "
        "validate, train, rollout, judge, analyze.",
    )
    def study_pipeline(
        config_yaml: str = config_text,
        run_root: str = RUNS_MOUNT,
        run_id: str = "",
        runs_pvc: str = "procsft-runs",
        tracking_uri: str = "",
        gpu_node_selector: dict = GPU_POOL_SELECTOR,
        gpu_tolerations: list = [],  # noqa: B006 (a KFP parameter default, never mutated)
        api_keys_secret: str = "procsft-api-keys",
        s3_secret: str = "procsft-s3",
    ):
        run = {"config_yaml": config_yaml, "run_root": run_root, "run_id": run_id}

        def step(
            task: dsl.PipelineTask,
            image: str = images.base,
            compute: Compute = CPU_STEP,
            cached: bool = False,
        ) -> dsl.PipelineTask:
            """Return `task` in `image` with its requests, the runs volume and its cache policy."""
            task.set_container_image(image)
            return cache(mount_runs(request(task, compute), runs_pvc), deterministic=cached)

        def gpu_step(
            task: dsl.PipelineTask, image: str, compute: Compute, cached: bool = True
        ) -> dsl.PipelineTask:
            """Return `task` on the GPU pool, cached unless told: GPU steps are seeded or
            greedy."""
            gpu = request_gpus(step(task, image, compute, cached=cached))
            return place(gpu, gpu_node_selector, gpu_tolerations)

        def api_step(task: dsl.PipelineTask) -> dsl.PipelineTask:
            """Return `task` with the API keys and retries, never cached: a rerun asks again."""
            return retry_api_errors(use_api_keys(step(task), api_keys_secret, config))

        def distill_step(task: dsl.PipelineTask) -> dsl.PipelineTask:
            """Return the distill task where its teacher runs: a local model on the GPU pool,
            the programmatic teacher (no model) or an API teacher in the CPU image."""
            settings = config.distill_settings(distill_teacher)
            judge = config.distill_judge()
            calls_api = settings.teacher_backend in ("anthropic", "openai") or (
                judge is not None and judge.backend != "transformers"
            )
            # Never cached: validation rebuilds a suite the volume lacks, and a skipped
            # distillation would leave it the built-in corpus (kubeflow/pipelines #12220).
            if settings.teacher_backend == "local":
                task = gpu_step(task, images.train, TRAIN_STEP, cached=False)
            else:
                task = step(task)
            if calls_api:
                task = retry_api_errors(use_api_keys(task, api_keys_secret, config))
            return task

        exit_task = step(record_failure(**run, tracking_uri=tracking_uri))
        use_s3_credentials(exit_task, s3_secret)
        with dsl.ExitHandler(exit_task, name="study"):
            # Not cached: it is cheap, and it (re)creates the run folder a cache hit would skip.
            gate = step(validate(**run, plan=[c.name for c in configurations]))
            if distill_teacher or config.distill is not None:
                teach = distill(**run, teacher=distill_teacher or "")
                gate.after(distill_step(teach))
            rollouts = []
            # What the cached steps produced, for the steps that restore it into a run folder
            # the volume lost (kubeflow/pipelines #12220: a cache hit skips a step whatever the
            # volume holds).
            pre_shards, post_shards, trained_adapters = None, None, None
            if students:
                with dsl.ParallelFor(students, name="students") as student:
                    if "pre" in config.stages:
                        pre = rollout(**run, model=student, variant="pre").after(gate)
                        pre.set_display_name("rollout-pre")
                        rollouts.append(gpu_step(pre, images.rollout, ROLLOUT_STEP))
                        pre_shards = dsl.Collected(pre.outputs["episodes"])
                    if adapters:
                        trained = train(**run, student=student).after(gate)
                        gpu_step(trained, images.train, TRAIN_STEP)
                        trained_adapters = dsl.Collected(trained.outputs["adapters"])
                        with dsl.ParallelFor(adapters, name="adapters") as adapter:
                            post = rollout(
                                **run,
                                model=student,
                                variant=adapter,
                                adapters=trained.outputs["adapters"],
                            )
                            post.set_display_name("rollout-post")
                            rollouts.append(gpu_step(post, images.rollout, ROLLOUT_STEP))
                        # One artifact per student: KFP local cannot collect a nested loop.
                        bundled = collect_shards(episodes=dsl.Collected(post.outputs["episodes"]))
                        post_shards = dsl.Collected(step(bundled, cached=True).outputs["shards"])
            if references:
                with dsl.ParallelFor(references, name="references") as reference:
                    ref = rollout(**run, model=reference, variant="reference").after(gate)
                    rollouts.append(api_step(ref.set_display_name("rollout-reference")))
            # Rows are the interface: judging reads every shard from the run folder, so it waits
            # on every rollout; the student shards come along only to restore what the volume
            # lacks (reference rollouts are never cached: they always wrote theirs).
            shards = {"pre_shards": pre_shards, "post_shards": post_shards}
            given = {name: found for name, found in shards.items() if found is not None}
            scored = api_step(judge(**run, **given).after(*rollouts))
            analyzed = step(
                analyze(
                    **run,
                    verdicts=scored.outputs["verdicts"],
                    episodes=scored.outputs["episodes"],
                ),
                cached=True,
            )
            adapters_in = {} if trained_adapters is None else {"adapters": trained_adapters}
            published = publish(
                **run, tracking_uri=tracking_uri, summary=analyzed.outputs["summary"], **adapters_in
            )
            use_s3_credentials(step(published), s3_secret)

    return study_pipeline
