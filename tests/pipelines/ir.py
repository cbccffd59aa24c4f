"""Compile a component or pipeline to its IR (the YAML KFP runs), as a dict, for assertions."""

from pathlib import Path

import yaml
from kfp import compiler


def compile_ir(pipeline_or_component, folder: Path) -> list[dict]:
    """Return the compiled YAML documents: the pipeline spec, then the platform spec if any."""
    path = folder / "ir.yaml"
    compiler.Compiler().compile(pipeline_or_component, str(path))
    return list(yaml.safe_load_all(path.read_text()))
