"""Write a built suite to a folder: row files, distilled corpus, and a manifest of hashes."""

from __future__ import annotations

import json
from pathlib import Path

from procsft.atomic import write_text_atomic
from procsft.config import Decoding
from procsft.distill import counts_per_skill, distill
from procsft.hashing import sha256_file
from procsft.inference.programmatic import ProgrammaticTeacher
from procsft.prompt import build_messages
from procsft.schema import write_rows
from procsft.suite.build import BuiltSuite

# The programmatic teacher's solutions are short; this budget only matters for model teachers.
TEACHER_DECODING = Decoding(temperature=0.0, top_p=1.0, max_new_tokens=512)


def programmatic_teacher(built: BuiltSuite) -> ProgrammaticTeacher:
    """Return the teacher that answers each corpus task's curated prompt with its solution."""
    skills = {skill.skill_id: skill for skill in built.skills}
    return ProgrammaticTeacher(
        {
            build_messages(task, skills[task.skill_id], "curated")[-1]["content"]: solution
            for task in built.corpus_tasks
            if (solution := built.solutions.get(task.task_id))
        }
    )


def write_suite(out: Path, built: BuiltSuite) -> dict:
    """Write skills, holdout, corpus tasks, the distilled corpus and rejects; return the manifest.

    Nothing in the files depends on time or machine, so the same seed gives identical bytes.
    """
    out.mkdir(parents=True, exist_ok=True)
    kept, rejected = distill(
        built.corpus_tasks,
        built.skills,
        programmatic_teacher(built),
        "programmatic",
        decoding=TEACHER_DECODING,
    )
    files = {
        "skills.jsonl": built.skills,
        "holdout.jsonl": built.holdout,
        "corpus_tasks.jsonl": built.corpus_tasks,
        "corpus.jsonl": kept,
        "rejects.jsonl": rejected,
    }
    for name, rows in files.items():
        write_rows(out / name, rows)
    free_form = sum(task.reference is None for task in built.holdout)
    manifest = {
        "build": built.params,
        "counts": {name.removesuffix(".jsonl"): len(rows) for name, rows in files.items()},
        "free_form_share": round(free_form / len(built.holdout), 4) if built.holdout else 0.0,
        "distillation": {"teacher": "programmatic", "per_skill": counts_per_skill(kept, rejected)},
        "sha256": {name: sha256_file(out / name) for name in files},
    }
    write_text_atomic(out / "manifest.json", json.dumps(manifest, indent=2) + "\n")
    return manifest
