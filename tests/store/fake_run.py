"""A finished run folder written by hand: two sizes, pre and post configurations, three tiny
adapters, rows, a report and a plot — what the storage layer reads, with no training."""

from __future__ import annotations

import json
import os
from pathlib import Path

import yaml

from procsft.run_folder import RunFolder

STUDENTS = {"small": ("S", 1000), "big": ("L", 5000)}
# (student, seed) → (lift, ci_low, ci_high): small/seed0 qualifies as champion (interval above
# zero); small/seed1 has a larger lift whose interval holds zero; big/seed0 has none known.
LIFTS = {("small", 0): (0.2, 0.05, 0.35), ("small", 1): (0.3, -0.05, 0.6)}
LOSS = [[1, 2.5], [2, 1.9], [3, 1.2], [4, 0.8]]


def make_run(runs_dir: Path, run_id: str = "demo-0123456789ab", marker: str = "") -> Path:
    """Return a finished run folder under `runs_dir`; `marker` is planted in its text files."""
    run = RunFolder(runs_dir / run_id)
    run.root.mkdir(parents=True)
    config = {
        "study": "demo",
        "students": [
            {"name": n, "source": "tiny:qwen3.5", "size": s, "params": p}
            for n, (s, p) in STUDENTS.items()
        ],
        "references": [
            {
                "name": "ref",
                "backend": "openai",
                "model": "m",
                "base_url": f"http://127.0.0.1:9/v1?key={marker or 'none'}",
            }
        ],
        "stages": ["pre", "post"],
        "seeds": [0, 1],
        "storage": {"runs_dir": str(runs_dir)},
    }
    run.config.write_text(yaml.safe_dump(config, sort_keys=False))
    run.holdout.parent.mkdir()
    run.holdout.write_text('{"task_id": "t1"}\n{"task_id": "t2"}\n')
    run.skills.write_text('{"skill_id": "s1"}\n')
    run.record_stage("suite", "done", [run.skills, run.holdout], counts={"holdout": 2})

    configurations, paths, rates, deltas, rollout, episodes = {}, {}, [], [], {}, []
    names = [(n, "pre", None, None) for n in STUDENTS]
    names += [("small", "post", "lora-r8", 0), ("small", "post", "lora-r8", 1)]
    names += [("big", "post", "lora-r8", 0)]
    for i, (student, stage, recipe, seed) in enumerate(names):
        name = f"{student}/{stage}" if stage == "pre" else f"{student}/post/{recipe}/seed{seed}"
        configurations[name] = {
            "student": student,
            "size": STUDENTS[student][0],
            "stage": stage,
            "recipe": recipe,
            "train_seed": seed,
            "path_fingerprints": [f"{i:064x}"],
            "path_mismatch": [],
        }
        paths[f"{i:064x}"] = {"engine": "transformers", "dtype": "float32", "model_id": student}
        for condition, rate in (("baseline", 0.1 * (i + 1)), ("curated", 0.15 * (i + 1))):
            rates.append(
                {
                    "configuration": name,
                    "condition": condition,
                    "scorer": "extractor",
                    "n": 2,
                    "pass_rate": rate,
                    "ci_low": rate / 2,
                    "ci_high": min(1.0, rate * 2),
                    "ci_method": "wilson",
                }
            )
        deltas.append(
            {"configuration": name, "scorer": "extractor", "delta": 0.05 * (i + 1), "ci_low": -0.1}
        )
        rollout[name] = {"generated": 4, "seconds": 2.0 + i, "tokens_per_second": 10.0 * (i + 1)}
        episodes += [{"episode_id": f"{name}|t{k}", "configuration": name} for k in (1, 2)]
    lifts = []
    for student in STUDENTS:
        seeds = [
            {
                "configuration": f"{student}/post/lora-r8/seed{seed}",
                "train_seed": seed,
                "lift": lift,
                "ci_low": low,
                "ci_high": high,
            }
            for (who, seed), (lift, low, high) in LIFTS.items()
            if who == student
        ]
        if seeds:
            lifts.append(
                {
                    "student": student,
                    "size": STUDENTS[student][0],
                    "recipe": "lora-r8",
                    "scorer": "extractor",
                    "lift": sum(s["lift"] for s in seeds) / len(seeds),
                    "ci_low": 0.01,
                    "ci_high": 0.5,
                    "seeds": seeds,
                }
            )
    summary = {  # the layout procsft.analysis.analyze writes
        "run": {
            "run_id": run.root.name,
            "study": "demo",
            "config_fingerprint": "f" * 64,
            "episodes": len(episodes),
            "rollout": rollout,
            "judge": {"judge": {"tokens": 900, "cost_usd": 0.25}},
        },
        "settings": {"resamples": 200, "confidence": 0.95},
        "counts": {"verdicts": len(episodes), "episodes": len(episodes), "scorers": ["extractor"]},
        "sizes": [
            {"student": n, "size": s, "params": p, "new": False} for n, (s, p) in STUDENTS.items()
        ],
        "configurations": configurations,
        "paths": paths,
        "pass_rates": rates,
        "procedural_delta": deltas,
        "lift": lifts,
        "judge_agreement": {"pairs": [{"a": "extractor", "b": "judge", "n": 8, "kappa": 0.5}]},
        "prediction": {"band": 0.05, "uniform": [], "status": "inconclusive"},
        "headlines": [f"judged with {marker}" if marker else "judged"],
        "plots": ["plots/trajectory.png"],
    }
    run.episodes.write_text("".join(json.dumps(e) + "\n" for e in episodes))
    run.verdicts.write_text(
        "".join(json.dumps(e | {"verdict_id": e["episode_id"] + "|x"}) + "\n" for e in episodes)
    )
    run.record_stage("rollout", "done", [run.episodes], configurations=rollout)
    run.agreement.write_text(
        json.dumps({"pairs": [{"a": "extractor", "b": "judge", "n": 8, "kappa": 0.5}]})
    )
    run.record_stage("judge", "done", [run.verdicts, run.agreement], cost_usd=0.25, tokens=900)

    adapters = []
    for student, seed in (("small", 0), ("small", 1), ("big", 0)):
        folder = run.adapters / student / "lora-r8" / f"seed{seed}"
        folder.mkdir(parents=True)
        (folder / "adapter_config.json").write_text(json.dumps({"r": 8, "seed": seed}))
        (folder / "adapter_model.safetensors").write_bytes(os.urandom(2048))
        meta = {
            "base_model": {"model_id": f"org/{student}", "revision": None, "weights_sha256": "a"},
            "corpus": {"sha256": "c" * 64, "rows": 16},
            "prompt_version": "v1",
            "recipe": {"name": "lora-r8", "lora_r": 8, "learning_rate": 2e-4},
            "seed": seed,
            "kind": "adapter",
            "steps": len(LOSS),
            "train_seconds": 1.5,
            "tokens_per_second": 100.0,
            "rows_trained": 16,
            "loss_curve": LOSS,
            "python": f"3.11 {marker}".strip(),
        }
        (folder / "train_meta.json").write_text(json.dumps(meta, indent=2))
        adapters.append(folder / "train_meta.json")
    run.record_stage("train", "done", adapters)

    run.summary.write_text(json.dumps(summary, indent=2))
    run.report.write_text(f"# demo\n\nlift table\n{marker}\n")
    (run.root / "plots").mkdir()
    (run.root / "plots" / "trajectory.png").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(256))
    run.record_stage("analyze", "done", [run.summary, run.report])
    return run.root
