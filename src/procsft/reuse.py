"""Results another run folder already holds are copied, not made again.

A study rerun for new sizes (configs/scale-8b-14b.yaml) is a new config, so a new run folder;
its old sizes' adapters and rollouts are the same computations as an earlier run's. Before
training an adapter or rolling out a configuration, the run folders beside this one are searched
for a finished result of exactly the same inputs and software:

- an adapter: the same base weights, corpus rows, prompt version, recipe and seed (the
  training inputs `train_meta.json` records), trained on the same device kind with the same
  library versions;
- a rollout shard: the same `reuse_key` in its `rollout/<configuration>.json`, a digest of the
  model (source, revision, adapter weights), engine settings and library versions, and every
  planned request (episode ids, messages, decoding).

Anything else is made afresh. A copy records where it came from.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from procsft.atomic import copy_atomic
from procsft.plan import Adapter
from procsft.run_folder import RunFolder
from procsft.versions import ENGINE, package_versions


def other_runs(run: RunFolder) -> Iterator[RunFolder]:
    """Yield the run folders beside `run` (not its own, not `_mlflow` or `_kfp`), by name."""
    for folder in sorted(run.root.parent.iterdir()):
        if folder.is_dir() and folder != run.root and not folder.name.startswith(("_", ".")):
            yield RunFolder(folder)


def find_adapter(
    run: RunFolder, adapter: Adapter, inputs: dict[str, Any], device: str, versions: dict
) -> RunFolder | None:
    """Return another run folder holding a finished `adapter` trained from `inputs` on
    `device` with these library `versions`, or None."""
    for other in other_runs(run):
        meta = other.read_train_meta(adapter)
        if (
            meta is not None
            and meta.same_inputs(inputs)
            and meta.device == device
            and meta.versions == versions
        ):
            return other
    return None


def rollout_key(model: dict[str, Any], engine: dict[str, Any], requests: Sequence[Any]) -> str:
    """Return the digest of what a rollout shard's rows follow from: the model (`model`: source,
    revision, adapter sha256…), the engine settings, the installed engine libraries, and every
    planned episode's id and request (messages and decoding)."""
    digest = hashlib.sha256()
    versions = package_versions(ENGINE)
    head = {"model": model, "engine": engine, "versions": versions}
    digest.update(json.dumps(head, sort_keys=True, default=str).encode())
    for episode_id, request in requests:
        digest.update(json.dumps([episode_id, request], sort_keys=True, default=str).encode())
    return digest.hexdigest()


def find_shard(run: RunFolder, configuration: str, key: str) -> RunFolder | None:
    """Return another run folder whose finished shard of `configuration` has `key`, or None."""
    for other in other_runs(run):
        facts = other.read_shard_facts(configuration)
        if facts is not None and facts.reuse_key == key and other.shard(configuration).exists():
            return other
    return None


def copy_into(source: Path, target: Path) -> None:
    """Copy a file or folder to `target` through a temporary sibling and one rename, so a kill
    leaves either nothing or the whole copy."""
    copy_atomic(source, target, tag="reuse")
