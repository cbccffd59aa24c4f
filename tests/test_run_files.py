"""The typed run files: every file a run folder holds loads into its model and is written back
byte for byte (same keys, same order, integers kept integers); fields read by attribute."""

from __future__ import annotations

import json

import pytest

from procsft.run_files import Agreement, ShardFacts, StageManifest, TrainMeta
from procsft.run_folder import RunFolder
from procsft.run_summary import Summary
from procsft.versions import ENGINE, MANIFEST, PACKAGES, TRAINING
from tests.store.fake_run import make_run


@pytest.fixture
def run(tmp_path) -> RunFolder:
    return RunFolder(make_run(tmp_path / "runs"))


def _same_bytes(model, path, newline: bool) -> None:
    text = path.read_text(encoding="utf-8")
    normalised = json.dumps(json.loads(text), indent=2) + ("\n" if newline else "")
    assert model.model_validate_json(text).to_json(newline=newline) == normalised


def test_every_run_file_is_written_back_byte_for_byte(run):
    _same_bytes(StageManifest, run.manifest, newline=True)
    _same_bytes(Summary, run.summary, newline=False)
    _same_bytes(Agreement, run.agreement, newline=False)
    for meta in sorted(run.adapters.rglob("train_meta.json")):
        _same_bytes(TrainMeta, meta, newline=False)
    facts = {"planned": 4, "generated": 4, "completion_tokens": 12, "seconds": 1.5, "x": [1]}
    path = run.shard_facts_file("small/pre")
    run.write_shard_facts("small/pre", ShardFacts.model_validate(facts))
    assert path.read_text() == json.dumps(facts, indent=2)
    assert run.read_shard_facts("small/pre").completion_tokens == 12


def test_fields_are_read_by_attribute(run):
    summary = run.read_summary()
    assert summary.run.rollout["big/pre"].tokens_per_second == 20.0
    assert summary.configurations["small/pre"].path_fingerprints == [f"{0:064x}"]
    assert summary.path_of("small/pre") == {
        "engine": "transformers",
        "dtype": "float32",
        "model_id": "small",
    }
    assert summary.lift_of("small/post/lora-r8/seed0", "extractor").ci_low == 0.05
    assert summary.lift_of("big/post/lora-r8/seed0", "extractor") is None
    meta = run.read_train_meta("train/small/lora-r8/seed1")
    assert meta.tokens_per_second == 100.0 and meta.rows_trained == 16 and meta.seed == 1
    assert meta.loss[-1] == (4, 0.8)
    assert set(run.trained_adapters()) == {
        "train/big/lora-r8/seed0",
        "train/small/lora-r8/seed0",
        "train/small/lora-r8/seed1",
    }
    judge = run.stage("judge")
    assert judge.status == "done" and judge.facts == {"cost_usd": 0.25, "tokens": 900}
    assert run.stage("rollout").shards["small/pre"].generated == 4
    assert run.stage("distill").status == "pending"
    assert run.read_agreement().pairs[0].kappa == 0.5


def test_missing_or_damaged_files_read_as_none(run):
    run.summary.write_text("{ torn")
    assert run.read_summary() is None
    run.agreement.unlink()
    assert run.read_agreement() is None
    assert run.read_train_meta("train/none/lora-r8/seed0") is None


def test_older_files_with_unknown_keys_still_load(run):
    meta = json.loads(run.train_meta_file("train/big/lora-r8/seed0").read_text())
    old = TrainMeta.model_validate(meta | {"tokens_per_s": 5.0})
    assert old.facts == {"tokens_per_s": 5.0} and old.tokens_per_second == 100.0


def test_version_lists_are_parts_of_the_one_list():
    assert set(MANIFEST) | set(TRAINING) | set(ENGINE) <= set(PACKAGES)
