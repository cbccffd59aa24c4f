"""Smoke test run inside an image, as its own user: import everything the image's steps
import, print the versions, run `procsft --help`. Fed on stdin, so the image needs nothing
extra:

    docker run --rm -i --network host --read-only --tmpfs /tmp IMAGE python - KIND < images/smoke.py

KIND: base | train | rollout. Exits non-zero, naming the module, when an import fails."""

import importlib
import importlib.metadata
import os
import subprocess
import sys

STEP_USER = 10001
SHARED = ["torch", "transformers", "procsft", "procsft_kfp", "kfp.dsl.executor_main"]
MODULES = {
    # validate, judge, analyze, publish, collect-shards, record-failure; on CPU every step
    "base": [
        *SHARED,
        "peft",
        "great_expectations",
        "mlflow",
        "anthropic",
        "openai",
        "procsft.stages.validate",
        "procsft.stages.judge",
        "procsft.stages.analyze",
        "procsft.stages.publish",
        "procsft.inference.transformers_backend",
    ],
    # train, and distill with a local teacher
    "train": [
        *SHARED,
        "trl",
        "peft",
        "bitsandbytes",
        "accelerate",
        "procsft.train",
        "procsft.stages.train",
        "procsft.stages.distill",
    ],
    # the student rollouts
    "rollout": [
        *SHARED,
        "vllm",
        "procsft.stages.rollout",
        "procsft.inference.vllm_backend",
        "procsft.inference.transformers_backend",
    ],
}


def distributions(modules: list[str]) -> dict[str, str]:
    """Return {distribution: version} of what `modules` were imported from."""
    owners = importlib.metadata.packages_distributions()
    found = {}
    for module in modules:
        for name in owners.get(module.split(".")[0], []):
            found[name] = importlib.metadata.version(name)
    return found


def main(kind: str) -> int:
    if kind not in MODULES:
        print(f"smoke: no image kind {kind!r} (one of {', '.join(MODULES)})", file=sys.stderr)
        return 2
    if os.getuid() != STEP_USER:
        print(f"smoke: runs as uid {os.getuid()}, not the steps' {STEP_USER}", file=sys.stderr)
        return 1
    for module in MODULES[kind]:
        try:
            importlib.import_module(module)
        except Exception as err:  # any failure to import is the finding
            print(f"smoke: import {module} failed: {type(err).__name__}: {err}", file=sys.stderr)
            return 1
    for name, found in distributions(MODULES[kind]).items():
        print(f"{name} {found}")
    import torch

    print(f"python {sys.version.split()[0]}, uid {os.getuid()}, torch CUDA {torch.version.cuda}")
    help_text = subprocess.run(["procsft", "--help"], capture_output=True, text=True)
    if help_text.returncode != 0 or "usage" not in help_text.stdout:
        print(f"smoke: procsft --help failed: {help_text.stderr.strip()}", file=sys.stderr)
        return 1
    print(f"procsft --help: {help_text.stdout.splitlines()[0]}")
    print(f"smoke {kind}: every import of its steps and procsft --help work")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else ""))
