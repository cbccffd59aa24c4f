"""User-mistake exceptions: the CLI renders each as one line and a non-zero exit."""

import errno


class ProcsftError(Exception):
    """A mistake in the user's input, reported without a traceback."""

    exit_code = 1


class ConfigError(ProcsftError):
    """The study configuration is invalid: names the file and the key path."""

    exit_code = 2


class DataError(ProcsftError):
    """A row file is malformed: names the file, the line and the field."""

    exit_code = 1


class DiskFull(ProcsftError):
    """A write found no space left; everything written before it is intact and a rerun of the
    same command resumes from there once space is freed."""


NO_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT})


def disk_full(err: OSError, path: object) -> DiskFull | None:
    """Return the DiskFull to raise for `err` met while writing `path`, or None (another error)."""
    if err.errno not in NO_SPACE:
        return None
    return DiskFull(f"{path}: no space left on device; free space and rerun to resume")
