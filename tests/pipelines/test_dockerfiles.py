"""Every image's Dockerfile is hadolint-clean, pins what it installs and runs as non-root."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCKERFILES = sorted((REPO / "images").glob("*.Dockerfile"))
HADOLINT = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")


def hadolint(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([HADOLINT, "--no-color", str(path)], capture_output=True, text=True)


def test_the_three_images_exist():
    assert [p.name for p in DOCKERFILES] == [
        "base.Dockerfile",
        "rollout.Dockerfile",
        "train.Dockerfile",
    ]


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_hadolint_passes(dockerfile):
    result = hadolint(dockerfile)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_catches_an_unpinned_install(tmp_path):
    bad = tmp_path / "bad.Dockerfile"
    bad.write_text("FROM python:3.11.14-slim-bookworm\nRUN pip install requests\n")
    result = hadolint(bad)
    assert result.returncode != 0 and "DL3013" in result.stdout


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_image_installs_procsft_with_its_pins_and_runs_as_non_root(dockerfile):
    text = dockerfile.read_text()
    kind = dockerfile.name.removesuffix(".Dockerfile")
    constraints = REPO / "images" / f"{kind}.constraints.txt"
    assert f"--constraint {constraints.name}" in text
    pins = [line for line in constraints.read_text().splitlines() if not line.startswith("#")]
    assert pins and all(re.fullmatch(r"[a-z0-9._-]+==[^=\s]+", pin) for pin in pins), pins
    assert '".[' in text, "the image installs the procsft package"
    (user,) = re.findall(r"^USER (\S+)$", text, flags=re.MULTILINE)
    assert user.split(":")[0] not in ("0", "root"), "a numeric non-root uid (runAsNonRoot checks)"
    ignore = dockerfile.with_name(f"{dockerfile.name}.dockerignore")
    assert f"!images/{constraints.name}" in ignore.read_text()
