"""Atomic writes: a file or folder appears whole under its name, or not at all.

Every writer goes through `replacing`: the content is made in a hidden sibling, flushed to
disk, then renamed over the target in one step, so a kill or a full disk never leaves a
half-written file under the real name. A full disk is reported as one line naming the file
(`errors.disk_full`), and the temporary sibling is removed.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from procsft.errors import disk_full


def fsync_dir(directory: Path) -> None:
    """Flush a folder's entries (a rename inside it) to disk."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temporary_sibling(path: Path, tag: str = "tmp", *, unique: bool = False) -> Path:
    """Return the hidden sibling `.<name>.<tag>` where `path` is made before its rename
    (`unique` adds a random part, for writers that may run side by side)."""
    suffix = f".{uuid.uuid4().hex[:8]}.{tag}" if unique else f".{tag}"
    return path.with_name(f".{path.name}{suffix}")


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


@contextmanager
def replacing(
    path: Path, *, tag: str = "tmp", unique: bool = False, sync_dir: bool = False
) -> Iterator[Path]:
    """Yield a temporary sibling of `path` to fill; on success rename it over `path`.

    On any error the sibling is removed and `path` is left as it was; an OSError that means a
    full disk becomes the one-line `errors.disk_full`. The caller flushes what it writes
    (`write_bytes_atomic` does); `sync_dir` also flushes the rename itself.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_sibling(path, tag, unique=unique)
    _remove(tmp)  # left by a killed writer
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as err:
        _remove(tmp)  # the target is untouched; leave no half file beside it
        raise disk_full(err, path) or err from err
    except BaseException:
        _remove(tmp)
        raise
    if sync_dir:
        fsync_dir(path.parent)


def write_bytes_atomic(path: Path, data: bytes, *, sync_dir: bool = False) -> None:
    """Write `data` to `path` through a temp file, fsync and a rename: never a half file."""
    with replacing(path, sync_dir=sync_dir) as tmp, tmp.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def write_text_atomic(path: Path, text: str) -> None:
    """Write `text` (UTF-8) to `path` through a temp file and a rename: never a half file."""
    write_bytes_atomic(path, text.encode("utf-8"))


def copy_atomic(source: Path, target: Path, *, tag: str = "tmp", metadata: bool = True) -> None:
    """Copy a file or a folder to `target` through a temporary sibling and one rename, so a
    kill leaves either nothing or the whole copy (`metadata=False`: a file's bytes only, not
    its times and mode)."""
    with replacing(Path(target), tag=tag) as tmp:
        if Path(source).is_dir():
            shutil.copytree(source, tmp)
        else:
            (shutil.copy2 if metadata else shutil.copyfile)(source, tmp)


def replace_folder(finished: Path, target: Path) -> None:
    """Put the finished folder `finished` in place of `target` (an older one is removed first:
    a folder cannot be renamed over a non-empty one)."""
    shutil.rmtree(target, ignore_errors=True)
    os.replace(finished, target)


def publish_folder(finished: Path, target: Path) -> None:
    """Rename the finished folder `finished` to `target` (absent, or an empty folder) in one
    step and flush the rename."""
    os.rename(finished, target)
    fsync_dir(Path(target).parent)


def publish_once(finished: Path, target: Path) -> bool:
    """Publish `finished` as `target` (`publish_folder`); return False, removing `finished`,
    when another process published first (its copy stands)."""
    try:
        publish_folder(finished, target)
    except OSError:
        shutil.rmtree(finished, ignore_errors=True)
        return False
    return True
