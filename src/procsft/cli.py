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
    return parser


def _run(args: argparse.Namespace) -> None:
    from rich.console import Console

    from procsft.config import load_config
    from procsft.study import run_study

    config = load_config(args.config)
    run_study(config, args.config, Console(stderr=False), run_id=args.run_id)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from procsft.errors import ProcsftError

    try:
        {"run": _run}[args.command](args)
    except ProcsftError as err:
        print(f"procsft: error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("procsft: interrupted; rerun the same command to resume", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
