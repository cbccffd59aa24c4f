"""The distill step (optional): a teacher re-writes a suite's corpus; only demonstrations the
extractor passes are kept, the rest go to `rejects.jsonl` with the reason."""

from __future__ import annotations

import json
from pathlib import Path

from procsft.atomic import write_text_atomic
from procsft.config import StudyConfig
from procsft.distill import counts_per_skill, distill
from procsft.run_folder import RunFolder
from procsft.schema import Skill, Task, read_rows, write_rows
from procsft.suite.files import TEACHER_DECODING


def distill_suite(
    suite: Path, teacher: str, out: Path | None = None, cache: Path | None = None
) -> dict:
    """Distill the corpus of the suite folder `suite` with `teacher` (`programmatic` or a model
    source for the transformers engine) into `out` (default: `suite`); return the counts."""
    skills = list(read_rows(suite / "skills.jsonl", Skill))
    tasks = list(read_rows(suite / "corpus_tasks.jsonl", Task))
    if teacher == "programmatic":
        from procsft.suite.build import build_suite
        from procsft.suite.files import programmatic_teacher

        manifest = json.loads((suite / "manifest.json").read_text())
        generator = programmatic_teacher(build_suite(**manifest["build"]))
    else:
        from procsft.inference.models import default_cache_dir, resolve_model
        from procsft.inference.transformers_backend import TransformersGenerator

        resolved = resolve_model(teacher, None, cache or default_cache_dir())
        generator = TransformersGenerator(resolved)
    kept, rejected = distill(tasks, skills, generator, teacher, decoding=TEACHER_DECODING)
    out = out or suite
    write_rows(out / "corpus.jsonl", kept)
    write_rows(out / "rejects.jsonl", rejected)
    manifest_path = out / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    manifest["distillation"] = {"teacher": teacher, "per_skill": counts_per_skill(kept, rejected)}
    write_text_atomic(manifest_path, json.dumps(manifest, indent=2) + "\n")
    return {"kept": len(kept), "rejected": len(rejected), "manifest": str(manifest_path)}


def distill_stage(config: StudyConfig, run: RunFolder, teacher: str) -> dict:
    """Replace the run's corpus by what `teacher` writes and the extractor passes."""
    from procsft.stages.suite import cache_dir

    suite = run.holdout.parent
    counts = distill_suite(suite, teacher, cache=cache_dir(config))
    outputs = [run.corpus, suite / "rejects.jsonl"]
    facts = {"teacher": teacher, "kept": counts["kept"], "rejected": counts["rejected"]}
    run.record_stage("distill", "done", outputs, **facts)
    return counts
