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
    judge.add_argument("--out", type=Path, help="folder for verdicts.jsonl and agreement.json")

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
        default="programmatic",
        help="`programmatic` (offline) or a model source for the transformers engine",
    )
    distill.add_argument("--out", type=Path, help="where corpus.jsonl goes (default: --suite)")
    return parser


def _run(args: argparse.Namespace) -> None:
    from rich.console import Console

    from procsft.config import load_config
    from procsft.study import run_study

    config = load_config(args.config)
    until = "rollout" if args.command == "rollout" else "analyze"
    allow = getattr(args, "allow_path_mismatch", False)
    run_study(config, args.config, Console(), args.run_id, until, allow_path_mismatch=allow)


def _analyze(args: argparse.Namespace) -> None:
    from rich.console import Console

    from procsft.config import load_config
    from procsft.run_folder import RunFolder
    from procsft.stages import analyze_stage

    run = RunFolder(args.verdicts.resolve().parent)
    config = load_config(run.config)
    analyze_stage(config, run, Console(), args.allow_path_mismatch)


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
    import json

    from procsft.distill import counts_per_skill, distill
    from procsft.run_folder import write_text_atomic
    from procsft.schema import Skill, Task, read_rows, write_rows
    from procsft.suite.files import TEACHER_DECODING

    skills = list(read_rows(args.suite / "skills.jsonl", Skill))
    tasks = list(read_rows(args.suite / "corpus_tasks.jsonl", Task))
    if args.teacher == "programmatic":
        from procsft.suite.build import build_suite
        from procsft.suite.files import programmatic_teacher

        manifest = json.loads((args.suite / "manifest.json").read_text())
        teacher = programmatic_teacher(build_suite(**manifest["build"]))
    else:
        from procsft.inference.models import default_cache_dir, resolve_model
        from procsft.inference.transformers_backend import TransformersGenerator

        teacher = TransformersGenerator(resolve_model(args.teacher, None, default_cache_dir()))
    kept, rejected = distill(tasks, skills, teacher, args.teacher, decoding=TEACHER_DECODING)
    out = args.out or args.suite
    write_rows(out / "corpus.jsonl", kept)
    write_rows(out / "rejects.jsonl", rejected)
    manifest_path = out / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    manifest["distillation"] = {
        "teacher": args.teacher,
        "per_skill": counts_per_skill(kept, rejected),
    }
    write_text_atomic(manifest_path, json.dumps(manifest, indent=2) + "\n")
    print(f"kept {len(kept)}, rejected {len(rejected)}; per skill in {manifest_path}")


COMMANDS = {
    "run": _run,
    "rollout": _run,
    "analyze": _analyze,
    "suite": _suite,
    "validate": _validate,
    "distill": _distill,
}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from procsft.errors import ProcsftError

    try:
        COMMANDS[args.command](args)
    except ProcsftError as err:
        print(f"procsft: error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("procsft: interrupted; rerun the same command to resume", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
