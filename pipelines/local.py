"""Run the study pipeline on this machine: KFP local execution, one subprocess per step, in
this Python environment (`make run`). Reruns resume the same run folder."""

import argparse
import re
import sys
import warnings
from pathlib import Path

# Steps name images and request CPU, memory and GPUs that a local run cannot honour (it runs
# every step in this environment); KFP warns about each, for each task.
LOCAL_ONLY = (
    r"Task '.*': settings .* have no effect in the current local runner",
    r"You may be attemping to run a task that uses custom or non-Python base image",
)
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.local", description=__doc__)
    parser.add_argument("--config", type=Path, required=True, help="study config YAML")
    parser.add_argument("--run-id", default="", help="run folder name (default: study-fingerprint)")
    parser.add_argument(
        "--pipeline-root", type=Path, help="where KFP puts step outputs (default: <runs_dir>/_kfp)"
    )
    args = parser.parse_args(argv)
    from kfp import local

    from pipelines.study import build_pipeline
    from procsft.config import load_config
    from procsft.errors import ProcsftError

    try:
        config = load_config(args.config)
    except ProcsftError as err:
        print(f"procsft: error: {err}", file=sys.stderr)
        return err.exit_code
    run_root = config.storage.runs_dir.resolve()
    pipeline_root = (args.pipeline_root or run_root / "_kfp").resolve()
    for message in LOCAL_ONLY:
        warnings.filterwarnings("ignore", message=message)
    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=str(pipeline_root))
    run = run_root / (args.run_id or config.run_id())
    try:
        build_pipeline(config)(run_root=str(run_root), run_id=args.run_id)
    except RuntimeError as err:  # KFP local raises this when a step failed; its log is above
        reason = ANSI.sub("", str(err).splitlines()[0])
        print(f"procsft: pipeline failed: {reason}", file=sys.stderr)
        print(f"run folder: {run}", file=sys.stderr)
        return 1
    report = run / "report.html" if (run / "report.html").exists() else run / "report.md"
    print(f"run folder: {run}")
    print(f"report: {report}")
    print(f"KFP outputs: {pipeline_root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
