"""Run the study pipeline on this machine: KFP local execution, one subprocess per step, in
this Python environment (`make run`). Reruns resume the same run folder."""

import argparse
import contextlib
import io
import re
import sys
import warnings
from pathlib import Path
from typing import TextIO

# Steps name images and request CPU, memory and GPUs that a local run cannot honour (it runs
# every step in this environment); KFP warns about each, for each task.
LOCAL_ONLY = (
    r"Task '.*': settings .* have no effect in the current local runner",
    r"You may be attemping to run a task that uses custom or non-Python base image",
)
ANSI = re.compile(r"\x1b\[[0-9;]*m")
EXECUTOR_INFO = re.compile(r"^\s*\[KFP Executor [^\]]* INFO\]: ")


class QuietExecutorLogs(io.TextIOBase):
    """A stdout that drops what KFP's executor logs at INFO in every step (where it looks for
    the component, the whole executor input as JSON, every library's INFO records) and keeps
    the steps' own output, their warnings and errors, and the runner's task lines."""

    def __init__(self, target: TextIO):
        self.target = target
        self.pending = ""
        self.in_json = False

    def write(self, text: str) -> int:
        self.pending += text
        *lines, self.pending = self.pending.split("\n")
        for line in lines:
            if self.in_json:  # indent=4 JSON under the step's 4-space indent ends at "    }"
                self.in_json = line != "    }"
            elif EXECUTOR_INFO.match(line):
                self.in_json = line.endswith(":")  # "Got executor_input:" then the JSON
            else:
                self.target.write(line + "\n")
        return len(text)

    def flush(self) -> None:
        self.target.flush()  # a partial line waits for its end: it may start an INFO record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m procsft_kfp.pipelines.local", description=__doc__
    )
    parser.add_argument("--config", type=Path, required=True, help="study config YAML")
    parser.add_argument("--run-id", default="", help="run folder name (default: study-fingerprint)")
    parser.add_argument(
        "--pipeline-root", type=Path, help="where KFP puts step outputs (default: <runs_dir>/_kfp)"
    )
    parser.add_argument(
        "--verbose", action="store_true", help="keep KFP's executor logs (inputs as JSON)"
    )
    parser.add_argument(
        "--cache",
        action="store_true",
        help="skip a cached step whose inputs are unchanged, as KFP on a cluster does "
        "(KFP's cache, under the pipeline root); later steps restore its files from its outputs",
    )
    parser.add_argument(
        "--image",
        help="run every step in a container of this image, as on a cluster: KFP's "
        "DockerRunner, the runs folder mounted where a cluster mounts the runs volume, the "
        "image's user, a read-only root file system, the host network",
    )
    parser.add_argument(
        "--rerun",
        action="store_true",
        help="run every step even when the run folder is unchanged since its run finished "
        "(by default such a run has nothing to do: procsft_kfp.pipelines.finished)",
    )
    args = parser.parse_args(argv)
    from procsft.errors import run_main

    return run_main(lambda: _run_locally(args))


def _run_locally(args: argparse.Namespace) -> int:
    from procsft.config import load_config
    from procsft.errors import ExitCode
    from procsft_kfp.pipelines import finished

    config = load_config(args.config)
    run_root = config.storage.runs_dir.resolve()
    pipeline_root = (args.pipeline_root or run_root / "_kfp").resolve()
    run = run_root / (args.run_id or config.run_id())
    headline = None
    if not args.rerun:
        headline = finished.unchanged_since_finished(config, run, pipeline_root, args.image)
    if headline is not None:
        print(f"{run.name}: finished, and nothing changed since (config, code, files): no step")
        print("runs (--rerun runs every step again). Its answer:\n")
        print(headline, end="")
        _print_places(run, pipeline_root)
        return ExitCode.DONE
    # kfp, and the steps' imports, only when there is something to run.
    from kfp import local

    from procsft_kfp.components.images import IMAGES
    from procsft_kfp.components.volume import RUNS_MOUNT
    from procsft_kfp.pipelines import containers
    from procsft_kfp.pipelines.study import build_pipeline

    for message in LOCAL_ONLY:
        warnings.filterwarnings("ignore", message=message)
    if args.image:  # the steps see the runs folder where a cluster mounts the runs volume
        runner = containers.docker_runner(run_root, pipeline_root, args.image)
        images, step_run_root = containers.single_image(args.image), RUNS_MOUNT
    else:
        runner, images = local.SubprocessRunner(use_venv=False), IMAGES
        step_run_root = str(run_root)
    local.init(runner=runner, pipeline_root=str(pipeline_root), enable_caching=args.cache)
    out = sys.stdout if args.verbose else QuietExecutorLogs(sys.stdout)
    try:
        with contextlib.redirect_stdout(out):
            build_pipeline(config, images)(run_root=step_run_root, run_id=args.run_id)
    except RuntimeError as err:  # KFP local raises this when a step failed; its log is above
        reason = ANSI.sub("", str(err).splitlines()[0])
        print(f"procsft: pipeline failed: {reason}", file=sys.stderr)
        print(f"run folder: {run}", file=sys.stderr)
        return ExitCode.FAILED
    finished.record_finished(config, run, pipeline_root, args.image, _headline(run))
    _print_places(run, pipeline_root)
    return ExitCode.DONE


def _headline(run: Path) -> str:
    """Return the answer table as the analyze step printed it (80 columns), for a rerun."""
    import io
    import json

    from rich.console import Console

    from procsft.analysis.terminal import headline_table

    text = io.StringIO()
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    headline_table(summary, Console(file=text, width=80, force_terminal=False))
    return text.getvalue()


def _print_places(run: Path, pipeline_root: Path) -> None:
    report = run / "report.html" if (run / "report.html").exists() else run / "report.md"
    print(f"run folder: {run}")
    print(f"report: {report}")
    print(f"KFP outputs: {pipeline_root}")


if __name__ == "__main__":
    sys.exit(main())
