"""Peak memory of the embedded study's training, side by side in one run, and proof that the
adapter does not change.

`make run` trains SmolLM2-135M (fp32, CPU, LoRA r8 on the seven projections, batch 4) on the
16 corpus rows configs/local.yaml selects. Each variant trains that adapter in a fresh process
(peak RSS is a process's high-water mark):

- as before: every activation kept for the backward pass, glibc's allocator as it comes
- activation checkpointing only (each layer's activations recomputed in the backward pass)
- returned memory only (`procsft.memory`: freed tensors go back to the system)
- both, as configs/local.yaml trains now (goal: peak RSS ≤ 4 096 MiB, the study's budget)

Every variant must save the same adapter bytes (sha256 of adapter_model.safetensors): both
changes alter where and when values are computed, never the values. Reported: peak RSS, CPU
seconds of the training (user + system: steadier than wall time on a shared machine) and its
ratio to the variant as before. Takes about 20 minutes on 2 cores.
"""

from __future__ import annotations

import hashlib
import json
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))

VARIANTS = {
    "as before": {"checkpointing": False, "returned": False},
    "checkpointing only": {"checkpointing": True, "returned": False},
    "returned memory only": {"checkpointing": False, "returned": True},
    "both (configs/local.yaml)": {"checkpointing": True, "returned": True},
}


def train_once(checkpointing: bool, returned: bool, folder: Path) -> dict:
    """Train the embedded study's adapter into `folder` in this process; return its facts."""
    import yaml

    from procsft import train
    from procsft.config import StudyConfig
    from procsft.inference.models import resolve_model
    from procsft.run_folder import RunFolder
    from procsft.schema import CorpusRow, Skill, read_rows
    from procsft.stages.suite import cache_dir, suite_stage
    from procsft.stages.train import corpus_subset

    config = StudyConfig.model_validate(yaml.safe_load((ROOT / "configs/local.yaml").read_text()))
    run = RunFolder(folder / "run")
    run.root.mkdir(parents=True)
    suite_stage(config, run)
    skills = list(read_rows(run.skills, Skill))
    corpus = corpus_subset(list(read_rows(run.corpus, CorpusRow)), config.subset.corpus_rows)
    (student,) = config.students
    recipe = config.recipes[0].model_copy(update={"activation_checkpointing": checkpointing})
    if not returned:
        train.return_freed_memory = lambda: False
    before = resource.getrusage(resource.RUSAGE_SELF)
    result = train.train_adapter(
        resolve_model(student.source, student.revision, cache_dir(config)),
        corpus,
        skills,
        recipe,
        seed=config.seeds[0],
        out=folder / "adapter",
        device="cpu",
    )
    after = resource.getrusage(resource.RUSAGE_SELF)
    weights = (folder / "adapter" / "adapter_model.safetensors").read_bytes()
    return {
        "peak_rss_mib": after.ru_maxrss / 1024,
        "cpu_seconds": after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime,
        "train_seconds": result.meta["train_seconds"],
        "sha256": hashlib.sha256(weights).hexdigest(),
    }


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        facts = train_once(**json.loads(sys.argv[2]), folder=Path(sys.argv[3]))
        print(json.dumps(facts))
        return
    from record import record

    tmp = Path(tempfile.mkdtemp(prefix="sft-memory-"))
    measured = {}
    for i, (name, variant) in enumerate(VARIANTS.items()):
        done = subprocess.run(
            [sys.executable, __file__, "--child", json.dumps(variant), str(tmp / str(i))],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise SystemExit(f"{name} failed:\n{done.stderr[-3000:]}")
        measured[name] = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"{name}: {measured[name]}", flush=True)
    base, now = measured["as before"], measured["both (configs/local.yaml)"]
    rows = []
    for name, facts in measured.items():
        rows.append({"metric": f"{name}: peak RSS (MiB)", "value": round(facts["peak_rss_mib"])})
        rows.append(
            {
                "metric": f"{name}: training CPU seconds / as before",
                "value": facts["cpu_seconds"] / base["cpu_seconds"],
            }
        )
    rows[-2]["goal_max"] = 4096
    same = len({facts["sha256"] for facts in measured.values()}) == 1
    rows.append({"metric": "same adapter bytes in every variant", "value": str(same)})
    rows.append(
        {"metric": "peak RSS, now / as before", "value": now["peak_rss_mib"] / base["peak_rss_mib"]}
    )
    record("sft_memory", rows)


if __name__ == "__main__":
    main()
