"""The validate step: Great Expectations over the suite rows; nothing downstream runs if one
fails."""

from __future__ import annotations

from rich.console import Console

from procsft.config import StudyConfig
from procsft.inference.models import resolve_model
from procsft.run_folder import RunFolder
from procsft.stages.suite import cache_dir
from procsft.validate import ValidationFailed, tokenizer_counter, validate_suite


def validate_stage(config: StudyConfig, run: RunFolder, console: Console) -> None:
    """Validate the suite rows with every student's tokenizer.

    Skipped when the suite files are those a previous validation passed (same sha256).
    """
    inputs = [p for p in (run.skills, run.holdout, run.corpus) if p.exists()]
    done = run.stage("validate")
    if done.status == "done" and done.inputs == run.hashes(inputs):
        return
    cache = cache_dir(config)
    counters = [
        tokenizer_counter(resolved.load_from, resolved.revision)
        for resolved in (resolve_model(s.source, s.revision, cache) for s in config.students)
    ]
    report = validate_suite(
        run.skills,
        run.holdout,
        run.corpus if run.corpus.exists() else None,
        tasks_per_skill=config.suite.tasks_per_skill,
        max_length=min(recipe.max_length for recipe in config.recipes),
        # Every student trains on the corpus: the longest tokenization must fit.
        count_tokens=lambda messages: max(count(messages) for count in counters),
        leakage_threshold=config.suite.leakage_threshold,
        max_mb=config.suite.max_file_mb,
    )
    report.write(run.validation)
    outputs = [run.validation / "validation.json", run.validation / "validation.md"]
    if not report.success:
        run.record_stage("validate", "failed", outputs)
        for failure in report.failures:
            console.print(f"validation failed: {failure.line()}", markup=False, highlight=False)
        raise ValidationFailed(
            f"{len(report.failures)} expectations failed; see {run.validation / 'validation.md'}"
        )
    run.record_stage("validate", "done", outputs, counts=report.counts, inputs=run.hashes(inputs))
