"""What a step carries in its KFP artifacts goes back into a run folder that lacks it, checked
by sha256; what the run folder has is kept; a corrupt artifact restores nothing."""

from pathlib import Path

import pytest
from kfp import dsl

from procsft_kfp.components.restore import bundle, carry, restore


def _artifact(kind, path: Path):
    return kind(name=path.name, uri=str(path), metadata={})


@pytest.fixture
def produced(tmp_path):
    """A run folder with an adapter folder, a shard and its facts, carried into two artifacts
    as the train and rollout steps carry them."""
    run = tmp_path / "run"
    adapter = run / "train/tiny/hot/seed0"
    adapter.mkdir(parents=True)
    (adapter / "adapter_model.safetensors").write_bytes(b"\x00weights")
    (adapter / "train_meta.json").write_text('{"steps": 3}\n')
    shard = run / "rollout/tiny__pre.jsonl"
    shard.parent.mkdir()
    shard.write_text('{"episode_id": "e1"}\n')
    facts = shard.with_suffix(".json")
    facts.write_text('{"generated": 1}')
    model = _artifact(dsl.Model, tmp_path / "kfp/train/adapters")
    carry(model, run, {"hot/seed0": adapter})
    episodes = _artifact(dsl.Dataset, tmp_path / "kfp/rollout/episodes")
    carry(episodes, run, {"": shard}, inline=(facts,))
    return run, model, episodes


def test_carried_files_are_restored_into_an_empty_run_folder(produced, tmp_path):
    run, model, episodes = produced
    assert (Path(model.path) / "hot/seed0/train_meta.json").exists()
    assert Path(episodes.path).read_text() == '{"episode_id": "e1"}\n'
    fresh = tmp_path / "fresh"
    assert restore(model, fresh) == ["train/tiny/hot/seed0"]
    assert restore(episodes, fresh) == ["rollout/tiny__pre.json", "rollout/tiny__pre.jsonl"]
    for name in (
        "train/tiny/hot/seed0/adapter_model.safetensors",
        "train/tiny/hot/seed0/train_meta.json",
        "rollout/tiny__pre.jsonl",
        "rollout/tiny__pre.json",
    ):
        assert (fresh / name).read_bytes() == (run / name).read_bytes(), name
    assert not [p for p in fresh.rglob(".*")], "no temporary sibling left behind"
    assert restore(model, fresh) == [] and restore(episodes, fresh) == []


def test_what_the_run_folder_has_is_kept_and_a_partial_folder_replaced(produced, tmp_path):
    run, model, episodes = produced
    fresh = tmp_path / "fresh"
    (fresh / "rollout").mkdir(parents=True)
    (fresh / "rollout/tiny__pre.jsonl").write_text("resumed rows\n")
    partial = fresh / "train/tiny/hot/seed0"
    partial.mkdir(parents=True)
    (partial / "checkpoint-1").write_text("a killed training's")
    assert restore(episodes, fresh) == ["rollout/tiny__pre.json"]
    assert (fresh / "rollout/tiny__pre.jsonl").read_text() == "resumed rows\n"
    assert restore(model, fresh, only={"train/tiny/other/seed0"}) == []
    assert restore(model, fresh, only={"train/tiny/hot/seed0"}) == ["train/tiny/hot/seed0"]
    assert sorted(p.name for p in partial.iterdir()) == [
        "adapter_model.safetensors",
        "train_meta.json",
    ]


def test_a_corrupt_artifact_is_refused_and_restores_nothing(produced, tmp_path):
    _, model, episodes = produced
    Path(episodes.path).write_text('{"episode_id": "tampered"}\n')
    (Path(model.path) / "hot/seed0/adapter_model.safetensors").write_bytes(b"other")
    fresh = tmp_path / "fresh"
    with pytest.raises(ValueError, match=r"rollout/tiny__pre\.jsonl: sha256 \w+ is not the"):
        restore(episodes, fresh)
    with pytest.raises(ValueError, match=r"seed0/adapter_model\.safetensors: sha256"):
        restore(model, fresh)
    assert not (fresh / "rollout/tiny__pre.jsonl").exists()
    assert not (fresh / "train/tiny/hot").exists() or not any((fresh / "train/tiny/hot").iterdir())


def test_a_bundle_restores_what_each_of_its_artifacts_carried(produced, tmp_path):
    run, model, episodes = produced
    out = _artifact(dsl.Dataset, tmp_path / "kfp/collect-shards/shards")
    bundle([episodes, model], out)
    assert (Path(out.path) / "rollout/tiny__pre.jsonl").exists()
    fresh = tmp_path / "fresh"
    assert restore(out, fresh) == [
        "rollout/tiny__pre.json",
        "rollout/tiny__pre.jsonl",
        "train/tiny/hot/seed0",
    ]
    assert (fresh / "train/tiny/hot/seed0/train_meta.json").read_bytes() == (
        run / "train/tiny/hot/seed0/train_meta.json"
    ).read_bytes()
