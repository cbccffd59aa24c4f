"""Submit the study pipeline to a KFP endpoint: one run now (`run`), or a recurring run on a cron
schedule (`schedule`) for the reruns. Each submission uploads the compiled study as a new version
of the pipeline `procsft-<study>` (made on first use) and starts from that version. The host and
namespace come from the arguments, else $KFP_HOST and $KFP_NAMESPACE; a bearer token from
$KFP_TOKEN; the experiment is the config's `storage.experiment` or study name. Every failure is one
line on stderr and a non-zero exit."""

import argparse
import contextlib
import io
import json
import logging
import os
import sys
import tempfile
import urllib.error
import urllib.request
import warnings
from datetime import UTC, datetime
from pathlib import Path

from procsft.errors import ConfigError, ExitCode, fail
from procsft_kfp.components.images import REGISTRY, TAG

DEFAULT_HOST = "http://localhost:8080"
"""`kubectl port-forward -n kubeflow svc/ml-pipeline-ui 8080:80` serves the API here."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m procsft_kfp.pipelines.submit", description=__doc__
    )
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


def check_health(host: str, token: str | None, timeout_s: float = 5.0) -> None:
    """Return nothing when the KFP API at `host` answers its health check. Raise HTTPError when
    it refuses (kfp.Client would retry that 5 times, 5 s apart, logging tracebacks), another
    OSError or a ValueError when nothing answers."""
    request = urllib.request.Request(f"{host}/apis/v2beta1/healthz")
    if token:  # an auth proxy in front of KFP guards the health check too
        request.add_header("Authorization", f"Bearer {token}")
    urllib.request.urlopen(request, timeout=timeout_s).close()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from procsft.errors import run_main

    return run_main(lambda: _submit_main(args))


def _submit_main(args: argparse.Namespace) -> int:
    from procsft.config import load_config

    config = load_config(args.config)
    try:
        arguments = parameters(args.param, args.run_id)
    except ValueError as err:
        raise ConfigError(str(err)) from err
    host = (args.host or os.environ.get("KFP_HOST") or DEFAULT_HOST).rstrip("/")
    token = os.environ.get("KFP_TOKEN") or None
    # kfp and urllib3 log retries and tracebacks to stderr; a failure here is its one line.
    logging.getLogger().addHandler(logging.NullHandler())
    try:
        check_health(host, token)
    except urllib.error.HTTPError as err:
        return refused(host, token, err)
    except (OSError, ValueError) as err:  # URLError is an OSError; a URL without a scheme
        reason = getattr(err, "reason", err)
        message = f"no KFP endpoint reachable at {host} ({reason}); give --host or KFP_HOST"
        return fail(message, ExitCode.UNREACHABLE)
    try:
        print(submit(args, config, host, token, arguments))
    except Exception as err:  # the server's refusal: one line says why, a traceback would not
        return refused(host, token, err)
    return 0


def refused(host: str, token: str | None, err: Exception) -> int:
    """Return ExitCode.FAILED, having written one line on stderr saying why KFP refused."""
    why = describe(err)
    if getattr(err, "status", None) in (401, 403):
        hint = "KFP_TOKEN was refused" if token else "set KFP_TOKEN to a token it accepts"
        why = f"authentication refused ({why}); {hint}"
    if token:  # a careless proxy echoes the credentials it was sent
        why = why.replace(token, "<KFP_TOKEN>")
    return fail(f"KFP at {host}: {why}")


def describe(err: Exception) -> str:
    """Return one line saying why the KFP API refused: HTTP status and the server's message."""
    status = getattr(err, "status", None)
    if status is None:
        text = str(err).strip()
        return text.splitlines()[0] if text else type(err).__name__
    body = getattr(err, "body", None)
    if body is None and isinstance(err, urllib.error.HTTPError):
        body = err.read()  # urllib keeps the body unread; kfp's ApiException has it read
    try:
        found = json.loads(body or "{}")
        message = str(found.get("error") or found.get("message") or "")
    except (TypeError, ValueError, AttributeError):
        message = ""
    line = f"HTTP {status} {getattr(err, 'reason', '') or ''}".strip()
    return f"{line}: {message.splitlines()[0]}" if message.strip() else line


def submit(args: argparse.Namespace, config, host: str, token: str | None, arguments: dict) -> str:
    """Return a line naming what was created at `host` from a new version of the study's
    pipeline: a run, or a recurring run."""
    import kfp
    from kfp import compiler

    from procsft_kfp.components.images import Images
    from procsft_kfp.pipelines.study import build_pipeline

    warnings.filterwarnings("ignore", category=FutureWarning, module="kfp")
    namespace = args.namespace or os.environ.get("KFP_NAMESPACE")
    # kfp.Client prints a "details" link after each call; stdout is this command's one line.
    with contextlib.redirect_stdout(io.StringIO()):
        client = kfp.Client(host=host, namespace=namespace or "kubeflow", existing_token=token)
        # The first call that needs the token: a refused one fails before seconds of compiling.
        name = config.storage.experiment or config.study
        experiment = client.create_experiment(name, namespace=namespace)
        with tempfile.TemporaryDirectory(prefix="procsft-kfp-") as tmp:
            package = Path(tmp) / "study.yaml"
            pipeline = build_pipeline(config, Images.at(args.registry, args.tag))
            compiler.Compiler().compile(pipeline, str(package))
            if args.no_cache:
                without_caching(package)
            version = upload(client, package, f"procsft-{config.study}", config, namespace)
        # No enable_caching here: the client applies it only to a package it uploads itself.
        source = dict(pipeline_id=version.pipeline_id, version_id=version.pipeline_version_id)
        what = f"procsft-{config.study} version {version.display_name} in experiment {name}"
        if args.command == "run":
            run = client.run_pipeline(
                experiment_id=experiment.experiment_id,
                job_name=args.run_id or config.run_id(),
                params=arguments,
                **source,
            )
            return f"run {run.run_id} of {what}: {host}/#/runs/details/{run.run_id}"
        job = client.create_recurring_run(
            experiment.experiment_id,
            job_name=args.name or f"{config.study}-rerun",
            cron_expression=args.cron,
            max_concurrency=1,  # runs share one run folder: never two at once
            no_catchup=True,  # a paused schedule resumes with one run, not a backlog
            params=arguments,
            **source,
        )
    job_id = job.recurring_run_id
    return f"recurring run {job_id} ({args.cron}) of {what}: {host}/#/recurringrun/details/{job_id}"


def upload(client, package: Path, pipeline: str, config, namespace: str | None):
    """Return the new pipeline version that `package` is: the pipeline is made on first use and
    each later upload adds a version, so every run names the exact spec it ran."""
    only = {"predicates": [{"operation": "EQUALS", "key": "display_name", "stringValue": pipeline}]}
    found = client.list_pipelines(filter=json.dumps(only), namespace=namespace).pipelines
    if found:
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")  # unique per pipeline
        return client.upload_pipeline_version(
            str(package), f"{config.fingerprint()[:12]}-{stamp}", pipeline_id=found[0].pipeline_id
        )
    made = client.upload_pipeline(str(package), pipeline, namespace=namespace)
    # The upload also made the first version (named like the pipeline), but returns only the
    # pipeline; the run needs the version's id.
    versions = client.list_pipeline_versions(made.pipeline_id, sort_by="created_at desc")
    return versions.pipeline_versions[0]


def without_caching(package: Path) -> None:
    """Rewrite `package` with every task's cache off. kfp's enable_caching=False would reach
    only a package the client uploads itself, and there only the root DAG's tasks, not the
    train and rollout steps inside the students' ParallelFor."""
    import yaml

    spec, *platforms = yaml.safe_load_all(package.read_text())
    dags = [spec["root"]["dag"], *(c["dag"] for c in spec["components"].values() if "dag" in c)]
    for dag in dags:
        for task in dag["tasks"].values():
            if "cachingOptions" in task:  # a ParallelFor's task has none: no cache of its own
                task["cachingOptions"] = {}  # as the compiler writes set_caching_options(False)
    package.write_text(yaml.safe_dump_all([spec, *platforms], sort_keys=False))


if __name__ == "__main__":
    sys.exit(main())
