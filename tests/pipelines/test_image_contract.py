"""The images' contract with the steps they run, checked without a Docker engine (issue 14):
every import of every step resolves to a package its image installs, the steps run as uid
10001, the runs volume is mounted where the components, the manifests and the images expect
it, and a step writes only under the runs mount and its KFP output paths."""

import ast
import importlib.metadata as metadata
import json
import re
import shlex
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest
import yaml

from procsft.config import load_config
from procsft_kfp.components.images import IMAGES
from procsft_kfp.components.volume import RUNS_MOUNT
from procsft_kfp.pipelines.study import build_pipeline
from tests.conftest import tiny_config, write_yaml
from tests.pipelines.ir import compile_ir

REPO = Path(__file__).resolve().parents[2]
KINDS = {IMAGES.base: "base", IMAGES.train: "train", IMAGES.rollout: "rollout"}
USER = 10001
PIP_OPTIONS_WITH_VALUE = {"-c", "--constraint", "-i", "--index-url", "--extra-index-url"}
PIP_OPTIONS_WITH_VALUE |= {"-f", "--find-links", "-r", "--requirement", "--target", "-t"}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """Return the Dockerfile's (INSTRUCTION, arguments), continuation lines joined."""
    text = re.sub(r"\\\n", " ", dockerfile.read_text())
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def pip_requirements(dockerfile: Path) -> list[str]:
    """Return what the Dockerfile's `pip install` commands install (names and `.[extras]`)."""
    found = []
    for word, rest in instructions(dockerfile):
        if word != "RUN":
            continue
        for command in re.split(r"&&|;", rest):
            tokens = shlex.split(command)
            if "pip" not in tokens or "install" not in tokens:
                continue
            args = tokens[tokens.index("install") + 1 :]
            skip = False
            for arg in args:
                if skip:
                    skip = False
                elif arg in PIP_OPTIONS_WITH_VALUE:
                    skip = True
                elif not arg.startswith(("-", "$")):  # "$": an optional option from an ARG
                    found.append(arg)
    return found


def installed_closure(requirements: list[str]) -> set[str]:
    """Return every distribution the requirements install: the project's own extras from
    pyproject.toml, then each installed distribution's own requirements (no extras)."""
    from packaging.requirements import Requirement

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pending = []
    for requirement in requirements:
        if requirement.startswith(".["):
            extras = requirement[2:].rstrip("]").split(",")
            pending += ["procsft", *(f"procsft[{extra}]" for extra in extras)]
        else:
            pending.append(requirement)
    closure: set[str] = set()
    while pending:
        requirement = Requirement(pending.pop())
        name = canonical(requirement.name)
        if name == "procsft":
            extras = sorted(requirement.extras)
            if name not in closure:
                pending += project["dependencies"]
            for extra in extras:
                pending += project["optional-dependencies"][extra]
            closure.add(name)
            continue
        if name in closure:
            continue
        closure.add(name)
        try:
            requires = metadata.requires(requirement.name) or []
        except metadata.PackageNotFoundError:
            continue  # in the image, not here (vllm, bitsandbytes): nothing here to guard
        for sub in requires:
            parsed = Requirement(sub)
            if parsed.marker is None or parsed.marker.evaluate({"extra": ""}):
                pending.append(sub)
    return closure


def step_imports(ir: dict) -> dict[str, set[str]]:
    """Return, per image, every module the steps it runs import (their function sources, as
    the compiled pipeline ships them, and KFP's executor)."""
    found: dict[str, set[str]] = {}
    for executor in ir["deploymentSpec"]["executors"].values():
        container = executor["container"]
        (source,) = [part for part in container["command"] if "\ndef " in part]
        modules = found.setdefault(container["image"], {"kfp.dsl.executor_main"})
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                modules |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                modules |= {f"{node.module}:{alias.name}" for alias in node.names}
    return found


IMPORT_AS_IN_IMAGE = textwrap.dedent(
    """
    import importlib, importlib.abc, json, sys
    blocked, modules = set(json.loads(sys.argv[1])), json.loads(sys.argv[2])

    class NotInImage(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in blocked:
                raise ModuleNotFoundError(f"{name}: its package is not in the image")

    sys.meta_path.insert(0, NotInImage())
    for module in modules:
        name, _, attribute = module.partition(":")
        loaded = importlib.import_module(name)
        if attribute and attribute != "*" and not hasattr(loaded, attribute):
            importlib.import_module(f"{name}.{attribute}")
    print("imported", len(modules))
    """
)


@pytest.fixture(scope="module")
def every_step(tmp_path_factory) -> dict[str, set[str]]:
    """The imports per image of the paper's pipeline, with both kinds of distillation."""
    paper = load_config(REPO / "configs/qwen35-paper.yaml")
    found: dict[str, set[str]] = {}
    for teacher in ("programmatic", "tiny:qwen3.5"):
        spec, _ = compile_ir(
            build_pipeline(paper, distill_teacher=teacher), tmp_path_factory.mktemp("ir")
        )
        for image, modules in step_imports(spec).items():
            found.setdefault(image, set()).update(modules)
    return found


def test_every_image_runs_some_step(every_step):
    assert set(every_step) == set(KINDS)


@pytest.mark.parametrize("image", list(KINDS), ids=KINDS.get)
def test_every_step_import_resolves_to_a_package_its_image_installs(image, every_step):
    closure = installed_closure(pip_requirements(REPO / "images" / f"{KINDS[image]}.Dockerfile"))
    assert {"procsft", "kfp", "pyyaml", "rich"} <= closure
    # Modules here whose distributions the image does not install are refused on import.
    blocked = sorted(
        module
        for module, dists in metadata.packages_distributions().items()
        if not {canonical(d) for d in dists} & closure
    )
    modules = sorted(every_step[image])
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_AS_IN_IMAGE, json.dumps(blocked), json.dumps(modules)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]


def test_the_refusing_import_catches_a_package_the_image_lacks():
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_AS_IN_IMAGE, json.dumps(["yaml"]), json.dumps(["yaml"])],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0 and "its package is not in the image" in result.stderr


@pytest.mark.parametrize("kind", sorted(set(KINDS.values())))
def test_the_image_user_is_uid_10001_and_its_caches_lie_on_the_runs_volume(kind):
    steps = instructions(REPO / "images" / f"{kind}.Dockerfile")
    (user,) = [rest for word, rest in steps if word == "USER"]
    assert user.split(":") == [str(USER), str(USER)]
    assert any(word == "RUN" and f"--uid {USER}" in rest for word, rest in steps)
    env = " ".join(rest for word, rest in steps if word == "ENV")
    caches = dict(re.findall(r"(\w+_(?:CACHE|HOME|CACHE_ROOT))=(\S+)", env))
    assert caches and all(path.startswith(f"{RUNS_MOUNT}/") for path in caches.values()), caches


def test_the_runs_volume_is_mounted_where_steps_manifests_and_images_expect_it(tmp_path):
    manifest = [d for d in yaml.safe_load_all((REPO / "k8s/runs-volume.yaml").read_text()) if d]
    (pvc,) = [d for d in manifest if d["kind"] == "PersistentVolumeClaim"]
    (job,) = [d for d in manifest if d["kind"] == "Job"]
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert [m["mountPath"] for m in container["volumeMounts"]] == [RUNS_MOUNT]
    assert f"chown {USER}:{USER} {RUNS_MOUNT}" in " ".join(container["command"])
    spec, platform = compile_ir(
        build_pipeline(load_config(REPO / "configs/qwen35-paper.yaml")), tmp_path
    )
    params = spec["root"]["inputDefinitions"]["parameters"]
    assert params["run_root"]["defaultValue"] == RUNS_MOUNT
    assert params["runs_pvc"]["defaultValue"] == pvc["metadata"]["name"]
    executors = platform["platforms"]["kubernetes"]["deploymentSpec"]["executors"]
    assert executors and all(
        [m["mountPath"] for m in e["pvcMount"]] == [RUNS_MOUNT] for e in executors.values()
    )


WRITES_RECORDED = textwrap.dedent(
    """
    import json, os, sys
    written = set()
    TARGET_ARG = {"os.mkdir": 0, "os.rename": 1, "os.replace": 1, "shutil.copyfile": 1}

    def record(event, args):
        if event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
            mode, flags = args[1] or "", args[2] or 0
            if any(c in mode for c in "wax+") or flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
                written.add(os.path.abspath(os.fsdecode(args[0])))
        elif event in TARGET_ARG and isinstance(args[TARGET_ARG[event]], (str, bytes, os.PathLike)):
            written.add(os.path.abspath(os.fsdecode(args[TARGET_ARG[event]])))

    sys.addaudithook(record)
    from kfp import dsl
    from procsft_kfp import components

    config, run_root, out = sys.argv[1:4]
    validation = dsl.Markdown(name="validation", uri=out, metadata={})
    components.validate.python_func(
        config_yaml=open(config).read(), run_root=run_root, run_id="r",
        plan=["tiny/pre"], validation=validation,
    )
    import tempfile
    print(json.dumps({"written": sorted(written), "scratch": tempfile.gettempdir()}))
    """
)


def test_a_step_writes_only_under_the_runs_mount_and_its_output_paths(tmp_path, cache_dir):
    """The validate step (suite, tokenizer, Great Expectations) as the image runs it: its
    caches on the runs volume (the image's ENV), HOME and cwd read-only; every path it opens
    for writing is recorded. Besides the runs volume and its output, it writes only scratch
    files in the temporary folder (Python's tempfile, torch's inductor cache): a read-only
    root file system must give steps a writable temporary folder."""
    runs, outputs, home = tmp_path / "runs", tmp_path / "outputs", tmp_path / "home"
    for folder in (runs, outputs, home):
        folder.mkdir()
    config = write_yaml(tmp_path / "c.yaml", tiny_config(tmp_path, cache_dir))
    steps = instructions(REPO / "images/base.Dockerfile")
    env_text = " ".join(rest for word, rest in steps if word == "ENV")
    image_env = {
        key: value.replace(RUNS_MOUNT, str(runs))
        for key, value in re.findall(r"(\w+)=(\S+)", env_text)
    }
    # The tiny model is built once per test run; the step finds it where the image's cache is.
    image_env["PROCSFT_CACHE"] = str(cache_dir)
    home.chmod(0o555)
    try:
        result = subprocess.run(
            [sys.executable, "-c", WRITES_RECORDED, str(config), str(runs), str(outputs / "v")],
            capture_output=True,
            text=True,
            cwd=home,
            env={**__import__("os").environ, **image_env, "HOME": str(home)},
            timeout=300,
        )
    finally:
        home.chmod(0o755)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    written = [Path(p) for p in report["written"]]
    allowed = (runs, outputs, Path(cache_dir), Path(report["scratch"]), Path("/dev/null"))
    outside = [p for p in written if not any(p.is_relative_to(a) for a in allowed)]
    assert (runs / "r/validate/validation.md").exists() and written
    assert outside == [], outside
