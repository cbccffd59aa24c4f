"""User-mistake exceptions: the CLI renders each as one line and a non-zero exit."""


class ProcsftError(Exception):
    """A mistake in the user's input, reported without a traceback."""

    exit_code = 1


class ConfigError(ProcsftError):
    """The study configuration is invalid: names the file and the key path."""

    exit_code = 2


class DataError(ProcsftError):
    """A row file is malformed: names the file, the line and the field."""

    exit_code = 1
