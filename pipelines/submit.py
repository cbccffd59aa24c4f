"""Submit the study pipeline to a KFP endpoint: one run now (`run`), or a recurring run on a cron
schedule (`schedule`) for the reruns. The host and namespace come from the arguments, else
$KFP_HOST and $KFP_NAMESPACE; the experiment is the config's `storage.experiment` or study name.
Every failure is one line on stderr and a non-zero exit."""

import argparse
import json
import os
import sys
import tempfile
import urllib.error
import urllib.request
import warnings
from pathlib import Path

from components.images import REGISTRY, TAG

DEFAULT_HOST = "http://localhost:8080"
"""`kubectl port-forward -n kubeflow svc/ml-pipeline-ui 8080:80` serves the API here."""
UNREACHABLE = 3


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pipelines.submit", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser("run", help="start one run of the study now")
    schedule = commands.add_parser("schedule", help="create a recurring run of the study")
    schedule.add_argument(
        "--cron", required=True, help='6 fields with seconds, e.g. "0 0 3 * * 1" (Mon 03:00)'
    )
    schedule.add_argument("--name", help="recurring run name (default: <study>-rerun)")
    for command in (run, schedule):
        command.add_argument("--config", type=Path, required=True, help="study config YAML")
        command.add_argument("--host", help=f"KFP endpoint (default: $KFP_HOST or {DEFAULT_HOST})")
        command.add_argument("--namespace", help="namespace (default: $KFP_NAMESPACE)")
        command.add_argument(
            "--run-id", default="", help="run folder name (default: study-fingerprint, resumed)"
        )
        command.add_argument(
            "--param",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="pipeline parameter (VALUE as JSON when it parses), e.g. runs_pvc=my-pvc",
        )
        command.add_argument("--no-cache", action="store_true", help="run every step again")
        command.add_argument("--registry", default=REGISTRY, help="image registry")
        command.add_argument("--tag", default=TAG, help="image tag (default: package version)")
    return parser


def unreachable(host: str, timeout_s: float = 5.0) -> str | None:
    """Return why nothing answers at `host`, or None when something does (an HTTP error such
    as 401 is an answer: the KFP client deals with authentication)."""
    try:
        urllib.request.urlopen(f"{host.rstrip('/')}/apis/v2beta1/healthz", timeout=timeout_s)
    except urllib.error.HTTPError:
        return None
    except (urllib.error.URLError, OSError, ValueError) as err:
        return str(getattr(err, "reason", err))
    return None


def parameters(pairs: list[str], run_id: str) -> dict:
    """Return the pipeline arguments of `--param KEY=VALUE` pairs and `--run-id`."""
    out: dict = {"run_id": run_id}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise ValueError(f"--param {pair!r}: expected KEY=VALUE")
        try:
            out[key] = json.loads(value)
        except ValueError:
            out[key] = value
    return out


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from procsft.config import load_config
    from procsft.errors import ProcsftError

    try:
        config = load_config(args.config)
        arguments = parameters(args.param, args.run_id)
    except (ProcsftError, ValueError) as err:
        print(f"procsft: error: {err}", file=sys.stderr)
        return getattr(err, "exit_code", 2)
    host = args.host or os.environ.get("KFP_HOST") or DEFAULT_HOST
    problem = unreachable(host)
    if problem:
        print(
            f"procsft: error: no KFP endpoint reachable at {host} ({problem}); "
            "give --host or KFP_HOST",
            file=sys.stderr,
        )
        return UNREACHABLE
    try:
        print(submit(args, config, host, arguments))
    except Exception as err:  # the server's refusal: one line says why, a traceback would not
        print(f"procsft: error: KFP at {host}: {describe(err)}", file=sys.stderr)
        return 1
    return 0


def describe(err: Exception) -> str:
    """Return one line saying why the KFP API refused: HTTP status and the server's message."""
    status = getattr(err, "status", None)
    if status is None:
        text = str(err).strip()
        return text.splitlines()[0] if text else type(err).__name__
    try:
        body = json.loads(getattr(err, "body", None) or "{}")
        message = str(body.get("error") or body.get("message") or "")
    except (TypeError, ValueError, AttributeError):
        message = ""
    line = f"HTTP {status} {getattr(err, 'reason', '') or ''}".strip()
    return f"{line}: {message.splitlines()[0]}" if message.strip() else line


def submit(args: argparse.Namespace, config, host: str, arguments: dict) -> str:
    """Return a line naming what was created at `host`: a run, or a recurring run."""
    import kfp
    from kfp import compiler

    from components.images import Images
    from pipelines.study import build_pipeline

    warnings.filterwarnings("ignore", category=FutureWarning, module="kfp")
    pipeline = build_pipeline(config, Images.at(args.registry, args.tag))
    namespace = args.namespace or os.environ.get("KFP_NAMESPACE")
    client = kfp.Client(host=host, namespace=namespace or "kubeflow")
    experiment = config.storage.experiment or config.study
    caching = False if args.no_cache else None
    if args.command == "run":
        result = client.create_run_from_pipeline_func(
            pipeline,
            arguments=arguments,
            run_name=args.run_id or config.run_id(),
            experiment_name=experiment,
            namespace=namespace,
            enable_caching=caching,
        )
        return f"run {result.run_id} in experiment {experiment} at {host}"
    with tempfile.TemporaryDirectory(prefix="procsft-kfp-") as tmp:
        package = Path(tmp) / "study.yaml"
        compiler.Compiler().compile(pipeline, str(package))
        found = client.create_experiment(experiment, namespace=namespace)
        job = client.create_recurring_run(
            found.experiment_id,
            job_name=args.name or f"{config.study}-rerun",
            cron_expression=args.cron,
            max_concurrency=1,  # runs share one run folder: never two at once
            no_catchup=True,  # a paused schedule resumes with one run, not a backlog
            params=arguments,
            pipeline_package_path=str(package),
            enable_caching=caching,
        )
    return f"recurring run {job.recurring_run_id} ({args.cron}) in experiment {experiment}"


if __name__ == "__main__":
    sys.exit(main())
