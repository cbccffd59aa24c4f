"""The run manifest and verify_run, on a run folder written by hand (no services)."""

from __future__ import annotations

import json

from procsft.store import LocalStore, sha256_file
from procsft.store.manifest import RUN_MANIFEST, verify_run, write_manifest
from tests.store.fake_run import make_run


def test_manifest_records_what_made_the_run(tmp_path):
    run = make_run(tmp_path / "runs")
    manifest = write_manifest(run)
    assert json.loads((run / RUN_MANIFEST).read_text()) == manifest
    assert manifest["run_id"] == run.name and manifest["study"] == "demo"
    assert manifest["config_fingerprint"] == "f" * 64
    assert len(manifest["git"]["commit"]) == 40  # the tests run in procsft's checkout
    assert manifest["packages"]["procsft"] and "vllm" in manifest["packages"]
    assert manifest["data"]["suite/holdout.jsonl"] == sha256_file(run / "suite" / "holdout.jsonl")
    assert manifest["path_fingerprints"]["small/pre"] == [f"{0:064x}"]
    assert manifest["stages"]["train"] == "done"
    paths = {a["path"]: a for a in manifest["artifacts"]}
    assert paths["train/big/lora-r8/seed0/adapter_model.safetensors"]["sha256"] == sha256_file(
        run / "train/big/lora-r8/seed0/adapter_model.safetensors"
    )
    assert "uri" not in paths["report.md"]
    assert verify_run(run) == []


def test_writing_twice_changes_nothing(tmp_path):
    run = make_run(tmp_path / "runs")
    write_manifest(run)
    before = (run / RUN_MANIFEST).stat().st_mtime_ns
    write_manifest(run)
    assert (run / RUN_MANIFEST).stat().st_mtime_ns == before


def test_verify_run_catches_modified_missing_and_unrecorded_files(tmp_path):
    run = make_run(tmp_path / "runs")
    write_manifest(run)
    (run / "report.md").write_text("# edited by hand\n")
    (run / "train/small/lora-r8/seed0/adapter_model.safetensors").unlink()
    (run / "notes.txt").write_text("added later")
    problems = {p.path: p.kind for p in verify_run(run)}
    assert problems == {
        "report.md": "modified",
        "train/small/lora-r8/seed0/adapter_model.safetensors": "missing",
        "notes.txt": "unrecorded",
    }
    assert all(str(p).startswith(p.path) for p in verify_run(run))


def test_verify_run_without_manifest_still_checks_stage_outputs(tmp_path):
    run = make_run(tmp_path / "runs")
    (run / "episodes.jsonl").write_text("{}\n")
    problems = {p.path: p.kind for p in verify_run(run)}
    assert problems == {RUN_MANIFEST: "no-manifest", "episodes.jsonl": "modified"}


def test_publishing_records_uris_and_skips_stored_files(tmp_path):
    run = make_run(tmp_path / "runs")
    store = LocalStore(tmp_path / "published")
    manifest = write_manifest(run, store)
    uris = {a["path"]: a["uri"] for a in manifest["artifacts"]}
    assert uris["report.md"] == store.uri_for(f"{run.name}/report.md")
    assert store.exists(f"{run.name}/{RUN_MANIFEST}")
    assert len(store.list(run.name)) == len(uris) + 1
    before = {k: (tmp_path / "published" / k).stat().st_mtime_ns for k in store.list()}
    write_manifest(run, store)
    after = {k: (tmp_path / "published" / k).stat().st_mtime_ns for k in store.list()}
    assert before == after


def test_the_default_store_is_the_runs_folder_itself(tmp_path):
    run = make_run(tmp_path / "runs")
    manifest = write_manifest(run, LocalStore(tmp_path / "runs"))
    assert manifest["artifacts"][0]["uri"].startswith((tmp_path / "runs" / run.name).as_uri())
    assert verify_run(run) == []
