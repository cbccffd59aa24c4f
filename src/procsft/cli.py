"""The `procsft` command. Heavy libraries are imported inside commands so `--help` is instant."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="procsft",
        description="Measure how SFT on procedural skills changes how models use a procedure.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run", help="run the study in a config end to end (resumes an unfinished run)"
    )
    run.add_argument("--config", type=Path, required=True, help="study config YAML")
    run.add_argument("--run-id", help="run folder name (default: <study>-<fingerprint>)")
    run.add_argument(
        "--allow-path-mismatch",
        action="store_true",
        help="compute Δ and lift across mismatched inference paths, stamping every such number",
    )

    verify = commands.add_parser("verify", help="recheck every sha256 in a run's manifest")
    verify.add_argument("run", type=Path, help="run folder")

    sync = commands.add_parser(
        "sync", help="publish a finished run its store or tracking server missed (idempotent)"
    )
    sync.add_argument("run", type=Path, help="run folder")
    sync.add_argument("--tracking-uri", help="MLflow tracking URI (default: the run's config)")

    registry = commands.add_parser("registry", help="list or download registered adapters")
    registry.add_argument("action", choices=["list", "get"])
    registry.add_argument("--config", type=Path, required=True, help="study config (tracking)")
    registry.add_argument("--name", help="registered model (get: required)")
    registry.add_argument("--version", default="champion", help="number or alias (get)")
    registry.add_argument("--out", type=Path, default=Path("adapters"), help="folder (get)")

    train = commands.add_parser(
        "train", help="train the config's adapters (stage post): suite, validation, SFT"
    )
    train.add_argument("--config", type=Path, required=True, help="study config YAML")
    train.add_argument("--size", help="only the student with this name or size label")
    train.add_argument("--recipe", help="only this recipe")
    train.add_argument("--seed", type=int, help="only this seed")

    analyze = commands.add_parser(
        "analyze", help="rates, Δ, lift, intervals, plots and the report from a run's verdicts"
    )
    analyze.add_argument("--verdicts", type=Path, required=True, help="a run's verdicts.jsonl")
    analyze.add_argument("--allow-path-mismatch", action="store_true")

    rollout = commands.add_parser(
        "rollout", help="run a config up to its episodes: suite, validation, rollout (resumes)"
    )
    rollout.add_argument("--config", type=Path, required=True, help="study config YAML")
    rollout.add_argument("--run-id", help="run folder name (default: <study>-<fingerprint>)")

    judge = commands.add_parser(
        "judge", help="score episodes with every configured scorer; write verdicts and agreement"
    )
    judge.add_argument("--config", type=Path, required=True, help="study config YAML (scorers)")
    judge.add_argument("--episodes", type=Path, required=True, help="episodes.jsonl")
    judge.add_argument("--holdout", type=Path, help="holdout.jsonl (default: beside the run's)")
    judge.add_argument(
        "--out",
        type=Path,
        help="folder for verdicts.jsonl and agreement.json (default: the config's run folder)",
    )

    suite = commands.add_parser("suite", help="build the built-in suite or print its row schema")
    suite_commands = suite.add_subparsers(dest="suite_command", required=True, metavar="ACTION")
    build = suite_commands.add_parser("build", help="write skills, holdout and corpus files")
    build.add_argument("--out", type=Path, required=True, help="folder to write")
    build.add_argument("--seed", type=int, default=0, help="generator seed (default 0)")
    build.add_argument("--tasks-per-skill", type=int, default=5)
    build.add_argument("--corpus-per-skill", type=int, default=9)
    suite_commands.add_parser("schema", help="print the JSON Schema of the row files")

    validate = commands.add_parser("validate", help="validate a suite folder's row files")
    validate.add_argument("--suite", type=Path, required=True, help="folder with the row files")
    validate.add_argument(
        "--out", type=Path, help="where validation.json/.md go (default: --suite)"
    )
    validate.add_argument("--tasks-per-skill", type=int, default=5)
    validate.add_argument("--max-length", type=int, default=1024, help="tokens per corpus row")
    validate.add_argument(
        "--tokenizer", help="model folder or hub id whose tokenizer counts tokens"
    )

    distill = commands.add_parser(
        "distill", help="have a teacher solve a suite's corpus tasks; keep what the judge passes"
    )
    distill.add_argument("--suite", type=Path, required=True, help="built suite folder")
    distill.add_argument(
        "--teacher",
        help="`programmatic` (offline), `anthropic:<model>`, `openai:<model>` or a local model "
        "source (default: the config's `distill.teacher`, else programmatic)",
    )
    distill.add_argument("--out", type=Path, help="where corpus.jsonl goes (default: --suite)")
    distill.add_argument(
        "--config",
        type=Path,
        help="study config whose `distill:` section (teacher, decoding, judge, budget), "
        "`compute` and cache apply",
    )

    # Listed for --help; `main` hands its arguments to the entry point that adds it (procsft_kfp).
    commands.add_parser(
        "compile", help="compile a config's study pipeline to KFP IR YAML (`procsft compile -h`)"
    )
    return parser


def _run(args: argparse.Namespace) -> None:
    from rich.console import Console

    from procsft.config import load_config
    from procsft.study import run_study

    config = load_config(args.config)
    until = "rollout" if args.command == "rollout" else "analyze"
    allow = getattr(args, "allow_path_mismatch", False)
    run_study(config, args.config, Console(), args.run_id, until, allow_path_mismatch=allow)


def _sync(args: argparse.Namespace) -> None:
    from rich.console import Console

    from procsft.study import sync_run

    sync_run(args.run, Console(), args.tracking_uri)


def _verify(args: argparse.Namespace) -> None:
    from procsft.errors import DataError
    from procsft.store.manifest import verify_run

    problems = verify_run(args.run)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        raise DataError(f"{args.run}: {len(problems)} files do not match the manifest")
    print(f"{args.run}: every file matches its manifest")


def _registry(args: argparse.Namespace) -> None:
    import json

    from procsft.config import load_config
    from procsft.errors import ConfigError
    from procsft.store.registry import get_version, list_versions
    from procsft.store.tracking import resolve_tracking_uri

    config = load_config(args.config)
    uri = resolve_tracking_uri(config.storage, config.storage.runs_dir)
    if args.action == "list":
        for row in list_versions(args.name, tracking_uri=uri):
            print(json.dumps({k: row[k] for k in ("name", "version", "aliases", "tags")}))
        return
    if args.name is None:
        raise ConfigError("registry get needs --name")
    record, folder = get_version(args.name, args.version, args.out, tracking_uri=uri)
    print(f"{args.name} v{record['version']}: {folder}")


def _train(args: argparse.Namespace) -> None:
    from rich.console import Console

    from procsft import stages
    from procsft.config import load_config
    from procsft.errors import ConfigError
    from procsft.study import open_run

    config = load_config(args.config)
    student = None
    if args.size is not None:
        names = [s.name for s in config.students if args.size in (s.name, s.size)]
        if not names:
            raise ConfigError(f"{args.config}: no student named or sized {args.size!r}")
        student = names[0]
    console = Console()
    run = open_run(config, args.config)
    stages.suite_stage(config, run)
    if config.distill is not None:
        stages.distill_stage(config, run)
    stages.validate_stage(config, run, console)
    adapters = stages.train_stage(config, run, console, student, args.recipe, args.seed)
    if not adapters:
        raise ConfigError(f"{args.config}: nothing to train (stage post, --size/--recipe/--seed)")
    for adapter, folder in adapters.items():
        console.print(f"{adapter.student} / {adapter.recipe} / seed {adapter.seed}: {folder}")


def _analyze(args: argparse.Namespace) -> None:
    from rich.console import Console

    from procsft.config import load_config
    from procsft.run_folder import RunFolder
    from procsft.stages import analyze_stage

    run = RunFolder(args.verdicts.resolve().parent)
    config = load_config(run.config)
    analyze_stage(config, run, Console(), args.allow_path_mismatch)


def _judge(args: argparse.Namespace) -> None:
    from procsft.config import load_config
    from procsft.judge.stage import check_decided
    from procsft.stages import rejudge_stage

    config = load_config(args.config)
    done = rejudge_stage(config, args.episodes, args.holdout, args.out)
    scorers = ", ".join(s.name for s in config.scorers)
    print(f"verdicts: {done.run.verdicts} ({len(done.verdicts)} rows; {scorers})")
    for name, facts in done.judges.items():
        print(f"  {name}: {facts['requests']} requests paid for, {facts['cached']} from the cache")
    print(f"agreement: {done.run.agreement}")
    print(f"next: procsft analyze --verdicts {done.run.verdicts}")
    check_decided(done.verdicts)  # after the files: they hold every verdict that was decided


def _suite(args: argparse.Namespace) -> None:
    import json

    if args.suite_command == "schema":
        from procsft.schema import CorpusRow, Skill, Task

        schemas = {m.__name__: m.model_json_schema() for m in (Skill, Task, CorpusRow)}
        print(json.dumps(schemas, indent=2))
        return
    from procsft.suite.build import build_suite
    from procsft.suite.files import write_suite

    built = build_suite(args.seed, args.tasks_per_skill, args.corpus_per_skill)
    manifest = write_suite(args.out, built)
    print(json.dumps(manifest["counts"]), f"free-form share {manifest['free_form_share']:.3f}")


def _validate(args: argparse.Namespace) -> None:
    from procsft.validate import ValidationFailed, tokenizer_counter, validate_suite

    corpus = args.suite / "corpus.jsonl"
    report = validate_suite(
        args.suite / "skills.jsonl",
        args.suite / "holdout.jsonl",
        corpus if corpus.exists() else None,
        tasks_per_skill=args.tasks_per_skill,
        max_length=args.max_length,
        count_tokens=tokenizer_counter(args.tokenizer) if args.tokenizer else None,
    )
    out = args.out or args.suite
    report.write(out)
    for failure in report.failures:
        print(failure.line(), file=sys.stderr)
    if not report.success:
        raise ValidationFailed(
            f"{len(report.failures)} expectations failed; see {out}/validation.md"
        )
    print(f"valid: {report.counts} ({len(report.outcomes)} expectations)")


def _distill(args: argparse.Namespace) -> None:
    from procsft.stages.distill import distill_suite

    if args.config is None:
        counts = distill_suite(args.suite, args.teacher or "programmatic", args.out)
    else:
        from procsft.config import load_config
        from procsft.stages.suite import cache_dir

        config = load_config(args.config)
        counts = distill_suite(
            args.suite,
            config.distill_settings(args.teacher),
            args.out,
            cache_dir(config),
            judge=config.distill_judge(),
            compute=config.compute,
        )
    print(
        f"kept {counts['kept']}, rejected {counts['rejected']} ({counts['judged']} judged); "
        f"per skill in {counts['manifest']}"
    )


COMMANDS = {
    "run": _run,
    "rollout": _run,
    "analyze": _analyze,
    "judge": _judge,
    "train": _train,
    "verify": _verify,
    "sync": _sync,
    "registry": _registry,
    "suite": _suite,
    "validate": _validate,
    "distill": _distill,
}


def _plugin_command(name: str):
    """Return the `main` a package beside procsft adds as command `name` (entry point group
    `procsft.commands`; procsft_kfp adds `compile`), or None. The library never imports them."""
    from importlib.metadata import entry_points

    found = entry_points(group="procsft.commands", name=name)
    return next(iter(found)).load() if found else None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] and (plugin := _plugin_command(argv[0])) is not None:
        return plugin(argv[1:], prog=f"procsft {argv[0]}")
    args = _parser().parse_args(argv)
    from procsft.errors import run_main

    return run_main(lambda: COMMANDS[args.command](args))


if __name__ == "__main__":
    sys.exit(main())
