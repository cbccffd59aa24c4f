"""What a step produced, carried in its KFP output artifacts, and put back into the run folder
by a later step that finds it missing.

KFP caches a step by its inputs and the runs volume's *name*, never its contents
(kubeflow/pipelines #12220): a cached train or rollout step is skipped even when its files are
gone from the volume. So every producing step describes, in its artifact's metadata
(`run_folder`), which run-folder paths the artifact holds and the sha256 of every file, and
every consuming step restores those paths when they are missing, after checking the hashes.

Shipped inside the components (`additional_funcs`) like `study_run`: each function imports
what it needs itself, and the images need only `procsft`.
"""


def carry(artifact, run_root, files: dict, inline: tuple = ()) -> None:
    """Copy run-folder paths into `artifact` and describe them in its metadata.

    `files` maps a place inside the artifact ("" for the artifact's own path) to a file or
    folder of the run folder `run_root`; `inline` names small run-folder files carried as text
    in the metadata itself (a shard's facts), restored before the files (a shard always has its
    facts)."""
    import shutil
    from pathlib import Path

    from procsft.hashing import sha256_file, text_sha256

    root = Path(run_root)
    entries = []
    for path in inline:
        text = Path(path).read_text(encoding="utf-8")
        rel = Path(path).relative_to(root).as_posix()
        entries.append({"path": rel, "text": text, "sha256": {"": text_sha256(text)}})
    for inside, source in files.items():
        source = Path(source)
        target = Path(artifact.path) / inside if inside else Path(artifact.path)
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True)
            hashes = {
                p.relative_to(source).as_posix(): sha256_file(p)
                for p in sorted(source.rglob("*"))
                if p.is_file()
            }
        else:
            shutil.copyfile(source, target)
            hashes = {"": sha256_file(source)}
        rel = source.relative_to(root).as_posix()
        entries.append({"path": rel, "from": inside, "sha256": hashes})
    artifact.metadata["run_folder"] = artifact.metadata.get("run_folder", []) + entries


def restore(artifact, run_root, only=None) -> list:
    """Return the run-folder paths restored from `artifact` (those of `only`, when given):
    each one the run folder lacks is copied in whole, its sha256 checked before it appears
    under its name. A file the run folder has is kept; a folder counts as there when it has
    every file the artifact lists (a partial one, a killed step's, is replaced)."""
    import shutil
    from pathlib import Path

    from procsft.atomic import publish_once, replacing, temporary_sibling, write_text_atomic
    from procsft.hashing import sha256_file, text_sha256

    def check(rel: str, found: dict, wanted: dict) -> None:
        for name, digest in wanted.items():
            if found.get(name) != digest:
                where = f"{rel}/{name}" if name else rel
                raise ValueError(
                    f"{artifact.uri}: {where}: sha256 {found.get(name)} is not the {digest} "
                    "its producing step recorded; not restored"
                )

    def hashes_of(path: Path) -> dict:
        if path.is_file():
            return {"": sha256_file(path)}
        return {
            p.relative_to(path).as_posix(): sha256_file(p)
            for p in sorted(path.rglob("*"))
            if p.is_file()
        }

    root = Path(run_root)
    restored = []
    for entry in artifact.metadata.get("run_folder", []):
        rel, wanted = entry["path"], entry["sha256"]
        if only is not None and rel not in only:
            continue
        target = root / rel
        if "" in wanted and target.is_file():
            continue
        if "" not in wanted and all((target / name).is_file() for name in wanted):
            continue
        if "text" in entry:
            check(rel, {"": text_sha256(entry["text"])}, wanted)
            write_text_atomic(target, entry["text"])
        elif "" in wanted:
            source = Path(artifact.path) / entry["from"] if entry["from"] else Path(artifact.path)
            with replacing(target, tag="restore", unique=True) as tmp:
                shutil.copyfile(source, tmp)
                check(rel, hashes_of(tmp), wanted)
        else:
            shutil.rmtree(target, ignore_errors=True)  # incomplete: the artifact's copy wins
            tmp = temporary_sibling(target, "restore", unique=True)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                shutil.copytree(Path(artifact.path) / entry["from"], tmp)
                check(rel, hashes_of(tmp), wanted)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
            publish_once(tmp, target)  # a step beside this one may have restored it first
        restored.append(rel)
    if restored:
        print(f"restored from {artifact.uri}: {', '.join(restored)}")
    return restored


def bundle(artifacts: list, out) -> None:
    """Copy what every artifact of `artifacts` carries for the run folder into the folder
    artifact `out`, at its run-folder paths, with the same description: one artifact that
    restores them all (KFP cannot hand a step the outputs of a nested loop)."""
    import shutil
    from pathlib import Path

    entries = []
    for artifact in artifacts:
        for entry in artifact.metadata.get("run_folder", []):
            if "text" not in entry:
                source = Path(artifact.path)
                source = source / entry["from"] if entry["from"] else source
                target = Path(out.path) / entry["path"]
                target.parent.mkdir(parents=True, exist_ok=True)
                if source.is_dir():
                    shutil.copytree(source, target, dirs_exist_ok=True)
                else:
                    shutil.copyfile(source, target)
                entry = {**entry, "from": entry["path"]}
            entries.append(entry)
    Path(out.path).mkdir(parents=True, exist_ok=True)
    out.metadata["run_folder"] = entries
