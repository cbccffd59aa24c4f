"""Print the `uv pip install` arguments that give uv this machine's pip settings (`make setup`).

uv reads no pip configuration, so the wheel folders (`find-links`), package indexes, extra
constraint files and CA bundle that `pip config list` shows are handed to it here: uv then
installs from the same places as pip would. `--index-strategy unsafe-best-match` is pip's own
rule, the best version over every index (uv's default takes the first index that has the
package, and the first one here lacks the pinned transformers). `cert` prints the CA bundle
as `SSL_CERT_FILE=<bundle>` for `env` (nothing without one). Runs on the system Python.

    python3 constraints/uv_args.py [args|env] [python]
"""

from __future__ import annotations

import subprocess
import sys

# pip's settings, by key, and the uv option each one becomes (values split on whitespace).
OPTIONS = {
    "find-links": "--find-links",
    "index-url": "--index-url",
    "extra-index-url": "--extra-index-url",
    "constraint": "--constraint",
}


def pip_settings(python: str) -> dict[str, list[str]]:
    """Return pip's effective settings (`pip config list`: `scope.key='value'` lines)."""
    listed = subprocess.run(
        [python, "-m", "pip", "config", "list"], capture_output=True, text=True
    ).stdout
    settings: dict[str, list[str]] = {}
    for line in listed.splitlines():
        name, _, value = line.partition("=")
        key = name.rsplit(".", 1)[-1]
        for item in value.strip("'\"").split():
            if item not in settings.setdefault(key, []):
                settings[key].append(item)
    return settings


def main() -> None:
    mode = sys.argv[1] if len(sys.argv) > 1 else "args"
    settings = pip_settings(sys.argv[2] if len(sys.argv) > 2 else sys.executable)
    if mode == "env":
        print(" ".join(f"SSL_CERT_FILE={cert}" for cert in settings.get("cert", [])[:1]))
        return
    args = ["--index-strategy", "unsafe-best-match"]
    for key, option in OPTIONS.items():
        for value in settings.get(key, []):
            args += [option, value]
    print(" ".join(args))


if __name__ == "__main__":
    main()
