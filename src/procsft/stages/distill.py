"""The distill step (optional): a teacher re-writes a suite's corpus and a filter (the extractor,
an LLM judge, or both) keeps what it passes; the rest go to `rejects.jsonl` with the reason.

Beside the corpus it leaves `demonstrations.jsonl` (every teacher reply, with the teacher's
inference path) and `distill.spend.jsonl` (every teacher and judge reply paid for); the suite
manifest's `distillation` records the teacher's and the judge's paths and per-skill counts.
"""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Any

from procsft.atomic import write_text_atomic
from procsft.config import Compute, Distill, Scorer, StudyConfig
from procsft.distill import (
    TEACHER,
    JudgeFilter,
    Teacher,
    counts_per_skill,
    filter_demonstrations,
    teach,
)
from procsft.errors import ConfigError
from procsft.hashing import sha256_file
from procsft.inference.models import default_cache_dir
from procsft.inference.path import path_fingerprint
from procsft.inference.protocol import Generator
from procsft.judge.llm import JUDGE_PROMPT_VERSION, JudgeSpend, SpendLedger, VerdictCache
from procsft.run_folder import RunFolder
from procsft.schema import Demonstration, RowLog, Skill, Task, read_rows, write_rows

DEMONSTRATIONS = "demonstrations.jsonl"
SPEND = "distill.spend.jsonl"


def distill_suite(
    suite: Path,
    teacher: str | Distill = "programmatic",
    out: Path | None = None,
    cache: Path | None = None,
    *,
    judge: Scorer | None = None,
    compute: Compute | None = None,
) -> dict[str, Any]:
    """Distill the corpus of the suite folder `suite` into `out` (default: `suite`) and return
    the counts. `teacher` is the `distill:` section (or just its teacher); `judge` is its LLM
    judge, resolved (a scorer named in a study's `scorers`). Resumable: teacher replies already
    logged and judge verdicts already cached are not asked for again."""
    settings = teacher if isinstance(teacher, Distill) else Distill(teacher=teacher)
    if judge is None and isinstance(settings.judge, str):
        raise ConfigError(f"distill.judge: {settings.judge!r} names a scorer of a study config")
    judge = judge or (settings.judge if isinstance(settings.judge, Scorer) else None)
    compute = compute or Compute()
    cache = cache or default_cache_dir()
    out = out or suite
    out.mkdir(parents=True, exist_ok=True)
    skills = list(read_rows(suite / "skills.jsonl", Skill))
    tasks = list(read_rows(suite / "corpus_tasks.jsonl", Task))
    by_id = {task.task_id: task for task in tasks}
    api_teacher = settings.teacher_backend in ("anthropic", "openai")
    make_teacher = partial(_teacher_generator, suite, settings, compute, cache)
    author = Teacher(
        settings.teacher, make_teacher, settings.decoding, compute.batch_size, api_teacher
    )
    spend = JudgeSpend(settings.budget.max_tokens, settings.budget.max_usd)
    ledger = SpendLedger(out / SPEND)
    log = RowLog(out / DEMONSTRATIONS, Demonstration)
    judge_filter = None
    if judge is not None:
        from procsft.judge.stage import scorer_engine

        identity, make_judge, chunk = scorer_engine(judge, compute, cache)
        judge_filter = JudgeFilter(
            judge.name,
            identity,
            make_judge,
            chunk,
            judge.max_new_tokens,
            settings.judge_tasks,
            VerdictCache(cache / "verdicts"),
        )
    try:
        made = teach(tasks, skills, author, log, ledger=ledger, spend=spend)
        demonstrations = log.finalize([task.task_id for task in tasks])
        filtered = filter_demonstrations(
            demonstrations, by_id, judge_filter, ledger=ledger, spend=spend
        )
    finally:
        ledger.close()
    write_rows(out / "corpus.jsonl", filtered.kept)
    write_rows(out / "rejects.jsonl", filtered.rejected)
    per_skill = counts_per_skill(filtered.kept, filtered.rejected, filtered.judged)
    totals = {
        key: sum(c[key] for c in per_skill.values()) for key in next(iter(per_skill.values()), {})
    }
    fingerprints = sorted({d.path_fingerprint for d in demonstrations})
    distillation: dict[str, Any] = {
        "teacher": settings.teacher,
        "teacher_path": demonstrations[0].path if demonstrations else None,
        "teacher_path_fingerprints": fingerprints,
        "judge": judge.name if judge else None,
        "judge_path": _judge_path(judge_filter),
        "judge_tasks": settings.judge_tasks if judge else None,
        "totals": totals,
        "per_skill": per_skill,
        "spend": {
            name: ledger.totals(name).as_dict()
            for name in (TEACHER, *([judge.name] if judge else []))
        },
    }
    manifest_path = out / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    manifest["distillation"] = distillation
    # The suite manifest's counts and hashes describe the corpus it now holds.
    for name in ("corpus", "rejects"):
        if name in manifest.get("counts", {}):
            manifest["counts"][name] = len(filtered.kept if name == "corpus" else filtered.rejected)
        if f"{name}.jsonl" in manifest.get("sha256", {}):
            manifest["sha256"][f"{name}.jsonl"] = sha256_file(out / f"{name}.jsonl")
    write_text_atomic(manifest_path, json.dumps(manifest, indent=2) + "\n")
    return {
        "kept": len(filtered.kept),
        "rejected": len(filtered.rejected),
        "judged": len(filtered.judged),
        "generated_now": made,
        "manifest": str(manifest_path),
        "distillation": distillation,
    }


def _teacher_generator(suite: Path, settings: Distill, compute: Compute, cache: Path) -> Generator:
    """Return the teacher's engine: the suite's worked solutions, an HTTP API or a local model."""
    if settings.teacher_backend == "programmatic":
        from procsft.suite.build import build_suite
        from procsft.suite.files import programmatic_teacher

        manifest = json.loads((suite / "manifest.json").read_text())
        return programmatic_teacher(build_suite(**manifest["build"]))
    from procsft.inference.factory import teacher_generator

    return teacher_generator(settings, compute, cache)


def _judge_path(judge: JudgeFilter | None) -> dict[str, Any] | None:
    """Return the judge's inference path (its identity, prompt version, budget), fingerprinted."""
    if judge is None:
        return None
    path = {
        **judge.judge_path,
        "prompt_version": JUDGE_PROMPT_VERSION,
        "temperature": 0.0,
        "max_new_tokens": judge.max_new_tokens,
    }
    return path | {"path_fingerprint": path_fingerprint(path)}


def distill_stage(config: StudyConfig, run: RunFolder, teacher: str | None = None) -> dict:
    """Replace the run's corpus by what the teacher writes and the filter passes."""
    from procsft.stages.suite import cache_dir

    suite = run.holdout.parent
    counts = distill_suite(
        suite,
        config.distill_settings(teacher),
        cache=cache_dir(config),
        judge=config.distill_judge(),
        compute=config.compute,
    )
    outputs = [run.corpus, suite / "rejects.jsonl", suite / DEMONSTRATIONS]
    distillation = counts["distillation"]
    facts = {
        "teacher": distillation["teacher"],
        "kept": counts["kept"],
        "rejected": counts["rejected"],
        "judged": counts["judged"],
        "generated_now": counts["generated_now"],
        "teacher_path": distillation["teacher_path"],
        "judge_path": distillation["judge_path"],
        "per_skill": distillation["per_skill"],
    }
    run.record_stage("distill", "done", outputs, **facts)
    return counts
