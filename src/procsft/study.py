"""`procsft run`: the study end to end — suite, validation, SFT, rollout, judging, analysis.

Each stage reads the rows the previous one wrote in the run folder, so a rerun of the same
config resumes: finished stages are kept, and training, rollout and scoring make only what is
missing.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from rich.console import Console

from procsft import stages
from procsft.config import StudyConfig
from procsft.errors import ConfigError
from procsft.run_folder import RunFolder, write_text_atomic
from procsft.suite.build import select_skills


def check_runnable(config: StudyConfig, source: Path) -> None:
    """Refuse, before any folder is made, what the config asks for but cannot run."""
    if not config.suite.user_files:
        select_skills(config.subset.skills)
    if "post" in config.stages and any(r.method != "lora" for r in config.recipes):
        raise ConfigError(f"{source}: recipes: stage `post` rolls out adapters: use method lora")


def open_run(config: StudyConfig, source: Path, run_id: str | None = None) -> RunFolder:
    """Return the run folder of `config`, created with its `config.yaml` on first use."""
    check_runnable(config, source)
    run = RunFolder(config.storage.runs_dir / (run_id or config.run_id()))
    run.root.mkdir(parents=True, exist_ok=True)
    write_text_atomic(run.config, yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False))
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
    stages.validate_stage(config, run, console)
    stages.train_stage(config, run, console)
    stages.rollout_stage(config, run)
    episodes = stages.collect_episodes(config, run)
    console.print(f"episodes: {run.episodes} ({len(episodes)} rows)")
    if until == "rollout":
        return run
    stages.judge_stage(config, run)
    stages.analyze_stage(config, run, console, allow_path_mismatch)
    stages.publish_stage(config, run, console)
    return run
