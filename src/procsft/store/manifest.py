"""The run manifest: what a finished run folder holds and what made it, with every file's sha256.

`run_manifest.json` sits beside the stage manifest (`manifest.json`, written stage by stage) and
records the config fingerprint, the code's git commit, package versions, data file hashes, the
inference path fingerprint of every configuration, and every artifact's path, sha256 and URI.
`verify_run` rechecks all of it.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from procsft.atomic import write_text_atomic
from procsft.hashing import sha256_file
from procsft.run_folder import RUN_MANIFEST, RunFolder, read_json
from procsft.run_summary import Summary
from procsft.store.artifacts import ArtifactStore
from procsft.store.redact import copy_redacted, file_has_secret, redact, secret_values
from procsft.versions import MANIFEST, package_versions

FORMAT = "procsft-run-manifest/1"


@dataclass(frozen=True)
class Problem:
    """One thing `verify_run` found wrong with a run folder."""

    path: str
    """The file, relative to the run folder."""
    kind: str
    """`missing`, `modified`, `unrecorded` or `no-manifest`."""
    detail: str

    def __str__(self) -> str:
        return f"{self.path}: {self.kind}: {self.detail}"


def artifact_files(run_dir: Path) -> list[Path]:
    """Return every file of the run folder a manifest records (hidden and temporary files, and
    the run manifest itself, left out), sorted."""
    run_dir = Path(run_dir)
    files = []
    for path in run_dir.rglob("*"):
        rel = path.relative_to(run_dir)
        hidden = any(part.startswith(".") for part in rel.parts)
        if path.is_file() and rel.as_posix() != RUN_MANIFEST and not hidden:
            files.append(path)
    return sorted(files)


def git_state(path: Path | None = None) -> dict[str, Any]:
    """Return {"commit", "dirty"} of the git checkout holding `path` (default: procsft's own
    source); both None outside a checkout or without git."""
    where = Path(path) if path else Path(__file__).resolve().parent
    # GIT_OPTIONAL_LOCKS=0: `git status` must not refresh (write) the index of a shared checkout.
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}

    def git(*args: str) -> str | None:
        try:
            command = ["git", "-C", str(where), *args]
            done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return {"commit": None, "dirty": None}
    changes = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(changes) if changes is not None else None}


def build_manifest(run_dir: Path, uris: dict[str, str] | None = None) -> dict[str, Any]:
    """Return the run manifest of `run_dir` (secrets redacted); `uris` maps relative paths to
    where they were published."""
    run = RunFolder(Path(run_dir))
    run_dir = run.root
    summary = run.read_summary() or Summary()
    stages = run.read_stages().stages
    config = run.read_config_data() or None
    uris = uris or {}
    artifacts = []
    for path in artifact_files(run_dir):
        rel = path.relative_to(run_dir).as_posix()
        entry = {"path": rel, "sha256": sha256_file(path), "size": path.stat().st_size}
        if rel in uris:
            entry["uri"] = uris[rel]
        artifacts.append(entry)
    manifest = {
        "format": FORMAT,
        "run_id": run_dir.name,
        "study": summary.run.study or (config or {}).get("study"),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "config_fingerprint": summary.run.config_fingerprint or _fingerprint(config),
        "git": git_state(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": package_versions(MANIFEST),
        "data": _data_hashes(run_dir, config),
        "path_fingerprints": {
            name: info.path_fingerprints for name, info in sorted(summary.configurations.items())
        },
        "stages": {name: record.status for name, record in stages.items()},
        "artifacts": artifacts,
    }
    return redact(manifest)


def write_manifest(run_dir: Path, store: ArtifactStore | None = None) -> dict[str, Any]:
    """Return the run manifest after writing it to `<run_dir>/run_manifest.json`, publishing
    every artifact (and the manifest) to `store` first when one is given.

    Publishing skips files the store already holds with the same sha256; a text file holding a
    secret is published redacted, a binary one refused. An unchanged manifest (apart from its
    time) is not rewritten, so writing twice changes nothing.
    """
    run_dir = Path(run_dir)
    uris = _publish(run_dir, store) if store is not None else {}
    manifest = build_manifest(run_dir, uris)
    path = run_dir / RUN_MANIFEST
    old = read_json(path)
    if old and {**old, "created_at": None} == {**manifest, "created_at": None}:
        manifest = old
    else:
        write_text_atomic(path, json.dumps(manifest, indent=2) + "\n")
    if store is not None:
        _send(store, path, f"{run_dir.name}/{RUN_MANIFEST}")
    return manifest


def verify_run(run_dir: Path) -> list[Problem]:
    """Return every problem with a run folder: a file missing or modified since the run manifest
    (or the stage manifest) recorded it, a file neither recorded; empty when all hashes hold."""
    run_dir = Path(run_dir)
    expected: dict[str, str] = {}
    problems: dict[str, Problem] = {}
    run = RunFolder(run_dir)
    for record in run.read_stages().stages.values():
        expected.update(record.outputs)
    manifest = run.read_run_manifest()
    if manifest is None:
        problems[RUN_MANIFEST] = Problem(RUN_MANIFEST, "no-manifest", "missing or unreadable")
    else:
        expected.update({a["path"]: a["sha256"] for a in manifest.get("artifacts", [])})
    for rel, digest in sorted(expected.items()):
        path = run_dir / rel
        if not path.is_file():
            problems[rel] = Problem(rel, "missing", "recorded but not in the run folder")
        elif (actual := sha256_file(path)) != digest:
            detail = f"sha256 {actual[:12]}… differs from the recorded {digest[:12]}…"
            problems[rel] = Problem(rel, "modified", detail)
    if manifest is not None:
        for path in artifact_files(run_dir):
            rel = path.relative_to(run_dir).as_posix()
            if rel not in expected:
                problems[rel] = Problem(rel, "unrecorded", "not in the run manifest")
    return [problems[key] for key in sorted(problems)]


def _publish(run_dir: Path, store: ArtifactStore) -> dict[str, str]:
    secrets = secret_values()
    uris = {}
    with tempfile.TemporaryDirectory(prefix="procsft-publish-") as tmp:
        for path in artifact_files(run_dir):
            rel = path.relative_to(run_dir).as_posix()
            key = f"{run_dir.name}/{rel}"
            if store.holds(path, key):  # the default store is the runs folder itself
                uris[rel] = store.uri_for(key)
                continue
            source = path
            if file_has_secret(path, secrets):
                source = Path(tmp) / rel
                copy_redacted(path, source, secrets)
            uris[rel] = _send(store, source, key)
    return uris


def _send(store: ArtifactStore, path: Path, key: str) -> str:
    """Return the URI of `key`, uploading `path` unless the store holds the same bytes there."""
    if store.exists(key) and store.sha256(key) == sha256_file(path):
        return store.uri_for(key)
    return store.put(path, key)


def _data_hashes(run_dir: Path, config: dict | None) -> dict[str, str]:
    """Return sha256 of the suite files in the run folder and of the user's own suite files."""
    hashes = {
        path.relative_to(run_dir).as_posix(): sha256_file(path)
        for path in sorted((run_dir / "suite").glob("*.jsonl"))
    }
    suite = (config or {}).get("suite") or {}
    for name in ("skills", "holdout", "corpus"):
        given = suite.get(name)
        if given and Path(given).expanduser().is_file():
            hashes[str(given)] = sha256_file(Path(given).expanduser())
    return hashes


def _fingerprint(config: dict | None) -> str | None:
    if config is None:
        return None
    from procsft.config import StudyConfig

    try:
        return StudyConfig.model_validate(config).fingerprint()
    except ValueError:
        return None
