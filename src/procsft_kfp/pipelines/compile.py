"""Compile the study pipeline of a config to KFP IR YAML (`make compile`)."""

import argparse
import sys
from pathlib import Path

from kfp import compiler

from procsft_kfp.components.images import IMAGES, REGISTRY, TAG, Images
from procsft_kfp.pipelines.study import build_pipeline

DEFAULT_CONFIG = Path("configs/qwen35-paper.yaml")
DEFAULT_OUT = Path("pipelines/compiled/study.yaml")


def compile_study(config_path: Path, out: Path, images: Images = IMAGES) -> Path:
    """Return `out`, written with the pipeline of the config at `config_path`; the same config
    and images always give the same bytes (the committed YAML is checked against this)."""
    from procsft.config import load_config

    out.parent.mkdir(parents=True, exist_ok=True)
    compiler.Compiler().compile(build_pipeline(load_config(config_path), images), str(out))
    return out


def main(
    argv: list[str] | None = None, prog: str = "python -m procsft_kfp.pipelines.compile"
) -> int:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__)
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="study config YAML")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="IR YAML to write")
    parser.add_argument("--registry", default=REGISTRY, help="image registry (default %(default)s)")
    parser.add_argument("--tag", default=TAG, help="image tag (default: the package version)")
    args = parser.parse_args(argv)
    from procsft.errors import run_main

    def work() -> None:
        out = compile_study(args.config, args.out, Images.at(args.registry, args.tag))
        print(f"compiled {args.config} -> {out}")

    return run_main(work)


if __name__ == "__main__":
    sys.exit(main())
