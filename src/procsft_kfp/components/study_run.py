"""The run folder of a pipeline step. Shipped inside every component (`additional_funcs`), so
it imports what it needs itself and the images need only `procsft`, not this package."""


def study_run(config_yaml: str, run_root: str, run_id: str):
    """Return (config, run folder): the config with `storage.runs_dir` set to `run_root`, and
    `<run_root>/<run_id>` (default `<study>-<fingerprint>`, as `procsft run` names it)."""
    from pathlib import Path

    import yaml

    from procsft.config import StudyConfig
    from procsft.run_folder import RunFolder

    config = StudyConfig.model_validate(yaml.safe_load(config_yaml))
    storage = config.storage.model_copy(update={"runs_dir": Path(run_root)})
    config = config.model_copy(update={"storage": storage})
    return config, RunFolder(Path(run_root) / (run_id or config.run_id()))
