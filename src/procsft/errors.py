"""Every way a procsft command ends, and the user-mistake exceptions behind them: the CLI
renders each as one line and its exit code (README, "Exit codes"; a test holds the two equal)."""

from __future__ import annotations

import errno
import sys
from collections.abc import Callable
from enum import IntEnum


class ExitCode(IntEnum):
    """The exit status of every procsft entry point, with its meaning (the README's table)."""

    meaning: str

    def __new__(cls, code: int, meaning: str) -> ExitCode:
        member = int.__new__(cls, code)
        member._value_ = code
        member.meaning = meaning
        return member

    DONE = 0, "done"
    FAILED = 1, "bad data rows, failed validation, a refused request or a full disk"
    BAD_CONFIG = 2, "bad config or arguments"
    PATHS_DIFFER = 3, "inference paths differ"
    API_FAILED = 4, "API requests failed (rerun to retry them)"
    ADAPTER_NOT_APPLIED = 5, "adapter not applied"
    BUDGET_SPENT = 6, "judge budget spent"
    UNREACHABLE = (
        7,
        ("a server could not be reached: not published (`procsft sync`) or not submitted"),
    )
    INTERRUPTED = 130, "interrupted (rerun to resume)"


class ProcsftError(Exception):
    """A mistake in the user's input, reported without a traceback."""

    exit_code = ExitCode.FAILED


class ConfigError(ProcsftError):
    """The study configuration is invalid: names the file and the key path."""

    exit_code = ExitCode.BAD_CONFIG


class DataError(ProcsftError):
    """A row file is malformed: names the file, the line and the field."""


class DiskFull(ProcsftError):
    """A write found no space left; everything written before it is intact and a rerun of the
    same command resumes from there once space is freed."""


NO_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT})


def disk_full(err: OSError, path: object) -> DiskFull | None:
    """Return the DiskFull to raise for `err` met while writing `path`, or None (another error)."""
    if err.errno not in NO_SPACE:
        return None
    return DiskFull(f"{path}: no space left on device; free space and rerun to resume")


def fail(message: str, code: int = ExitCode.FAILED) -> int:
    """Write `procsft: error: <message>` on stderr and return `code`."""
    print(f"procsft: error: {message}", file=sys.stderr)
    return int(code)


def run_main(command: Callable[[], int | None]) -> int:
    """Run one entry point's work and return its exit code: a ProcsftError is its one line and
    code, Ctrl-C says how to resume, a full disk met by a library's own write (weights, plots,
    MLflow) is one line naming the file; anything else is a bug and keeps its traceback."""
    try:
        return int(command() or ExitCode.DONE)
    except ProcsftError as err:
        return fail(str(err), err.exit_code)
    except KeyboardInterrupt:
        print("procsft: interrupted; rerun the same command to resume", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except OSError as err:
        full = disk_full(err, err.filename or "a write")
        if full is None:
            raise
        return fail(str(full), full.exit_code)
