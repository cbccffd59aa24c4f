"""The same config and seed give the same study on CPU: identical episode and verdict rows and
the same numbers in the summary. Sampled decoding is reproducible per seed."""

import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from procsft.config import StudyConfig
from procsft.schema import Episode, read_rows
from procsft.study import run_study
from tests.conftest import tiny_config

# Wall time and throughput of the run that made them: facts about the machine, not results.
TIMING = {"seconds", "wall_seconds", "tokens_per_second", "latency_s"}


def study(tmp_path: Path, cache_dir: Path, name: str, **overrides) -> Path:
    config = tiny_config(tmp_path / name, cache_dir, **overrides)
    judge = {"name": "tiny-judge", "kind": "llm", "backend": "transformers"}
    judge |= {"model": "tiny:qwen3.5", "max_new_tokens": 16}
    config["scorers"] = [{"name": "extractor", "kind": "extractor"}, judge]
    config["storage"]["cache_dir"] = str(tmp_path / name / "cache")  # no shared verdict cache
    (tmp_path / name / "cache").mkdir(parents=True)
    (tmp_path / name / "cache" / "models").symlink_to(cache_dir / "models")
    console = Console(file=io.StringIO())
    return run_study(StudyConfig.model_validate(config), Path("c.yaml"), console).root


def without_timing(value):
    if isinstance(value, dict):
        return {k: without_timing(v) for k, v in value.items() if k not in TIMING}
    if isinstance(value, list):
        return [without_timing(v) for v in value]
    return value


@pytest.mark.slow
def test_the_same_config_gives_the_same_rows_and_numbers(tmp_path, cache_dir, tiny_model):
    # Hot enough that the adapter passes its probe (as in tests/test_post_stage.py).
    recipe = {"name": "hot", "learning_rate": 0.05, "epochs": 4, "batch_size": 2}
    first, second = (
        study(tmp_path, cache_dir, name, stages=["pre", "post"], recipes=[recipe])
        for name in ("a", "b")
    )
    for name in ("episodes.jsonl", "verdicts.jsonl", "agreement.json"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    weights = "train/tiny/hot/seed0/adapter_model.safetensors"
    assert (first / weights).read_bytes() == (second / weights).read_bytes()
    summaries = [json.loads((run / "summary.json").read_text()) for run in (first, second)]
    assert without_timing(summaries[0]) == without_timing(summaries[1])


@pytest.mark.slow
def test_sampled_decoding_is_reproducible_per_seed(tmp_path, cache_dir, tiny_model):
    sampled = {"temperature": 1.0, "top_p": 0.95, "max_new_tokens": 16}
    runs = [study(tmp_path, cache_dir, n, decoding=sampled, seeds=[0, 1]) for n in ("a", "b")]
    first, second = ((run / "episodes.jsonl").read_bytes() for run in runs)
    assert first == second
    episodes = list(read_rows(runs[0] / "episodes.jsonl", Episode))
    by_seed = {seed: [e.response for e in episodes if e.seed == seed] for seed in (0, 1)}
    assert by_seed[0] != by_seed[1]  # the seed is what makes them differ
