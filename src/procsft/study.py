"""`procsft run`: the study end to end — suite, validation, SFT, rollout, judging, analysis.

Each stage reads the rows the previous one wrote in the run folder, so a rerun of the same
config resumes: finished stages are kept, and training, rollout and scoring make only what is
missing.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from procsft import stages
from procsft.config import StudyConfig
from procsft.errors import ConfigError, ExitCode, ProcsftError
from procsft.judge.stage import check_decided
from procsft.run_folder import RunFolder
from procsft.suite.build import select_skills


def check_runnable(config: StudyConfig, source: Path) -> None:
    """Refuse, before any folder is made, what the config asks for but cannot run."""
    if not config.suite.user_files:
        select_skills(config.subset.skills)
    if config.distill is not None and config.suite.user_files:
        raise ConfigError(
            f"{source}: distill: the teacher solves the built-in suite's corpus tasks; "
            "your own suite files have none (give `suite.corpus` instead)"
        )
    if "post" in config.stages and any(r.method != "lora" for r in config.recipes):
        raise ConfigError(f"{source}: recipes: stage `post` rolls out adapters: use method lora")


def open_run(config: StudyConfig, source: Path, run_id: str | None = None) -> RunFolder:
    """Return the run folder of `config`, created with its `config.yaml` on first use."""
    check_runnable(config, source)
    run = RunFolder(config.storage.runs_dir / (run_id or config.run_id()))
    run.root.mkdir(parents=True, exist_ok=True)
    run.write_config(config.model_dump(mode="json"))
    return run


def run_study(
    config: StudyConfig,
    source: Path,
    console: Console,
    run_id: str | None = None,
    until: str = "analyze",
    allow_path_mismatch: bool = False,
) -> RunFolder:
    """Run the stages of `config` up to `until` into its run folder and return the folder."""
    run = open_run(config, source, run_id)
    console.print(f"run folder: {run.root}")
    stages.suite_stage(config, run)
    if config.distill is not None:
        stages.distill_stage(config, run)
    stages.validate_stage(config, run, console)
    stages.train_stage(config, run, console)
    stages.rollout_stage(config, run)
    episodes = stages.collect_episodes(config, run)
    console.print(f"episodes: {run.episodes} ({len(episodes)} rows)")
    if until == "rollout":
        return run
    verdicts = stages.judge_stage(config, run)
    stages.analyze_stage(config, run, console, allow_path_mismatch)
    # Judge errors end the run here, after the report that counts them and before publishing a
    # run that rests on fewer verdicts than planned: the rerun asks only for those.
    check_decided(verdicts)
    stages.publish_stage(config, run, console)
    return run


class NotPublished(ProcsftError):
    """The artifact store or the tracking server could not be reached; nothing was lost."""

    exit_code = ExitCode.UNREACHABLE


def sync_run(run_dir: Path, console: Console, tracking_uri: str | None = None) -> dict:
    """Publish a finished run folder that could not be published when it finished (store or
    tracking server unreachable) and return what was published. Idempotent: files the store
    holds are not sent again, and an unchanged run logs nothing new to MLflow."""
    from procsft.config import load_config
    from procsft.errors import DataError

    run = RunFolder(Path(run_dir))
    if not run.config.is_file():
        raise DataError(f"{run.root}: not a run folder (no config.yaml)")
    if not run.summary.exists():
        raise DataError(f"{run.root}: no summary.json, the run has not finished; rerun it")
    config = load_config(run.config)
    storage: dict = {"runs_dir": run.root.parent}
    if tracking_uri:
        storage["tracking_uri"] = tracking_uri
    config = config.model_copy(update={"storage": config.storage.model_copy(update=storage)})
    published = stages.publish_stage(config, run, console)
    if not published["published"]:
        raise NotPublished(f"{run.root}: not published: {published['reason']}")
    return published
