"""Verdicts for analysis tests and the speed benchmark: single hand-made rows, and a synthetic
study with known pass probabilities, its matched inference paths, its students, its run folder."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from procsft.config import Student
from procsft.inference.path import path_fingerprint
from procsft.schema import EPISODE_KEYS, Episode, Verdict, write_rows

SIZES = (("s08", "0.8B", 800_000_000), ("s2", "2B", 2_000_000_000), ("s4", "4B", 4_000_000_000))


def verdict(
    configuration: str,
    task: str,
    condition: str,
    passed: bool | None,
    *,
    scorer: str = "x",
    seed: int = 0,
    skill: str = "s",
    size: str | None = None,
    fingerprint: str = "f",
) -> Verdict:
    """Return one verdict; student, stage, recipe and training seed come from the name."""
    student, stage, *post = configuration.split("/")
    episode = f"{configuration}|{task}|{condition}|seed={seed}"
    return Verdict(
        verdict_id=f"{episode}|{scorer}",
        episode_id=episode,
        scorer=scorer,
        configuration=configuration,
        student=student,
        size=size or student.upper(),
        stage=stage,
        recipe=post[0] if post else None,
        train_seed=int(post[1].removeprefix("seed")) if post else None,
        task_id=task,
        skill_id=skill,
        condition=condition,
        seed=seed,
        path_fingerprint=fingerprint,
        passed=passed,
        format_ok=True,
        extracted=None,
        reason="",
    )


def path(student: str, stage: str, adapter: str | None = None, **changes) -> dict:
    """Return an inference path; only `adapter_sha256` differs between a student's pre and post."""
    return {
        "engine": "anthropic" if stage == "reference" else "transformers",
        "engine_version": "5.0",
        "dtype": "float32",
        "model_id": student,
        "weights_sha256": f"w-{student}",
        "adapter_sha256": adapter,
        "max_new_tokens": 256,
    } | changes


@dataclass
class Study:
    verdicts: list[Verdict]
    paths: dict[str, dict]
    """Fingerprint → path dict."""
    students: list[Student]
    path_of: dict[str, dict]
    """Configuration → path dict."""


def make_study(
    *,
    sizes=SIZES,
    new: tuple[str, ...] = (),
    tasks: int = 40,
    tasks_per_skill: int = 5,
    scorers: tuple[str, ...] = ("extractor", "judge"),
    train_seeds: tuple[int, ...] = (0,),
    rollout_seeds: tuple[int, ...] = (0,),
    reference: str | None = "ref",
    p: dict[tuple[str, str], float] | None = None,
    disagree: float = 0.0,
    path_of: dict[str, dict] | None = None,
    seed: int = 0,
) -> Study:
    """Return a study whose pass probability is `p[(stage, condition)]` (default 0.5); each
    scorer after the first flips a verdict with probability `disagree`. `path_of` overrides
    the path of named configurations."""
    rng = np.random.default_rng(seed)
    p = p or {}
    paths = {}
    for name, _, _ in sizes:
        paths[f"{name}/pre"] = path(name, "pre")
        for train_seed in train_seeds:
            adapter = f"a-{name}-{train_seed}"
            paths[f"{name}/post/lora/seed{train_seed}"] = path(name, "post", adapter)
    if reference:
        paths[f"{reference}/reference"] = path(reference, "reference")
    paths |= path_of or {}
    size_of = {name: size for name, size, _ in sizes} | {reference: "ref"}
    verdicts = []
    for configuration, the_path in paths.items():
        student, stage = configuration.split("/")[:2]
        fingerprint = path_fingerprint(the_path)
        for t in range(tasks):
            for condition in ("baseline", "curated"):
                for rollout_seed in rollout_seeds:
                    passed = bool(rng.random() < p.get((stage, condition), 0.5))
                    for i, scorer in enumerate(scorers):
                        flipped = i > 0 and rng.random() < disagree
                        verdicts.append(
                            verdict(
                                configuration,
                                f"t{t:03d}",
                                condition,
                                passed != flipped,
                                scorer=scorer,
                                seed=rollout_seed,
                                skill=f"k{t // tasks_per_skill:02d}",
                                size=size_of[student],
                                fingerprint=fingerprint,
                            )
                        )
    students = [
        Student(name=name, source="tiny:qwen3.5", size=size, params=params, new=name in new)
        for name, size, params in sizes
    ]
    return Study(verdicts, {path_fingerprint(p): p for p in paths.values()}, students, paths)


WORDS = (
    "the old value new value difference divide multiply result round step total units rate "
    "percent change list sort count first last date days answer check sum each item"
).split()


def _prose(rng: np.random.Generator, chars: int) -> str:
    """Return about `chars` characters of numbered-step prose ending in an ANSWER: line."""
    words, size, step = [], 0, 1
    while size < chars:
        if size == 0 or rng.random() < 0.08:
            words.append(f"\n{step}.")
            step += 1
        word = str(rng.integers(2, 999)) if rng.random() < 0.15 else WORDS[rng.integers(len(WORDS))]
        words.append(word)
        size += len(word) + 1
    return " ".join(words).strip() + f"\nANSWER: {rng.integers(1, 500)}"


def with_episodes(
    study: Study, *, response_chars: int = 600, judge_chars: int = 300, seed: int = 1
) -> tuple[list[Episode], list[Verdict]]:
    """Return an episode (prompt, response) for every episode the study's verdicts score, and
    the verdicts again with an LLM judge's reply on every scorer whose name has `judge`."""
    rng = np.random.default_rng(seed)
    episodes: dict[str, Episode] = {}
    for v in study.verdicts:
        if v.episode_id in episodes:
            continue
        # A task's text is the same in every configuration, as a real holdout's is.
        text = _prose(np.random.default_rng(zlib.crc32(v.task_id.encode())), 200)
        task = f"Task {v.task_id} of skill {v.skill_id}: " + text.split("\n")[0]
        block = f"\n\nProcedure {v.skill_id}:\n" + "\n".join(f"{i}. step {i}" for i in range(1, 6))
        the_path = study.path_of[v.configuration]
        episodes[v.episode_id] = Episode(
            episode_id=v.episode_id,
            **{key: getattr(v, key) for key in EPISODE_KEYS},
            messages=[
                {"role": "system", "content": "Solve the task. End with a line ANSWER: <answer>."},
                {"role": "user", "content": task + (block if v.condition == "curated" else "")},
            ],
            response=_prose(rng, int(rng.integers(response_chars // 2, response_chars * 3 // 2))),
            finish_reason="stop",
            prompt_tokens=int(rng.integers(80, 200)),
            completion_tokens=int(rng.integers(40, 400)),
            path=the_path,
        )
    verdicts = [
        v.model_copy(
            update={
                "judge_output": _prose(rng, judge_chars).replace("ANSWER", "VERDICT")
                + (" PASS" if v.passed else " FAIL"),
                "reason": "judge verdict",
            }
        )
        if "judge" in v.scorer
        else v.model_copy(update={"reason": "matches reference" if v.passed else "wrong answer"})
        for v in study.verdicts
    ]
    return list(episodes.values()), verdicts


def write_run_folder(study: Study, run_dir: Path, *, name: str = "synthetic") -> Path:
    """Return `run_dir` holding the study as an analysed run folder: config.yaml (the study's
    name and students), episodes.jsonl, verdicts.jsonl and what `analyze` writes — what the
    publish step reads, with no rollout or training."""
    import yaml

    from procsft.analysis import analyze
    from procsft.config import Analysis
    from procsft.run_folder import RunFolder

    run = RunFolder(run_dir)
    run.root.mkdir(parents=True, exist_ok=True)
    students = [s.model_dump(mode="json", exclude_defaults=True) for s in study.students]
    run.config.write_text(yaml.safe_dump({"study": name, "students": students}, sort_keys=False))
    episodes, verdicts = with_episodes(study, response_chars=120, judge_chars=80)
    write_rows(run.episodes, episodes)
    write_rows(run.verdicts, verdicts)
    analyze(
        verdicts,
        study.paths,
        study.students,
        settings=Analysis(resamples=100),
        out=run.root,
        episodes=episodes,
        run_info={"run_id": run.root.name, "study": name},
    )
    return run.root
