"""The shape of the code: the library never imports its deployment layer, no module imports
itself back through others, no module outgrows one concern, and the README's exit-code table is
the one the code returns."""

import ast
import re
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

from procsft.errors import ExitCode
from tests.conftest import REPO

SRC = REPO / "src"
DEPLOYMENT = ("kfp", "procsft_kfp", "components", "pipelines")
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(SRC.rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(path: Path, name: str, top_level_only: bool) -> set[str]:
    """Return the modules `path` imports (relative imports resolved), at module level only or
    anywhere in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            out |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            out.add(base)
            out |= {f"{base}.{alias.name}" for alias in node.names}
    return out


def _graph(top_level_only: bool) -> dict[str, set[str]]:
    modules = _modules()
    return {
        name: {m for m in _imports(path, name, top_level_only) if m in modules and m != name}
        for name, path in modules.items()
    }


def test_the_library_never_imports_its_deployment_layer():
    offenders = {
        name: sorted(m for m in _imports(path, name, False) if m.split(".")[0] in DEPLOYMENT)
        for name, path in _modules().items()
        if name.split(".")[0] == "procsft"
    }
    assert {k: v for k, v in offenders.items() if v} == {}


@pytest.mark.parametrize("top_level_only", [True, False], ids=["at-import", "anywhere"])
def test_no_import_cycle_among_the_project_modules(top_level_only):
    graph = _graph(top_level_only)
    # A package's __init__ re-exports its modules: an edge from a module to its own package
    # is the parent being initialised, not a cycle of concerns.
    for name, targets in graph.items():
        targets -= {t for t in targets if name.startswith(f"{t}.")}
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as err:
        pytest.fail(f"import cycle: {' -> '.join(err.args[1])}")


def test_no_module_is_longer_than_one_concern_needs():
    lengths = {
        path.relative_to(REPO).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
        for path in [*SRC.rglob("*.py"), *(REPO / "benchmarks").glob("*.py")]
    }
    assert {p: n for p, n in lengths.items() if n > MAX_LINES} == {}


def test_the_readme_exit_code_table_is_the_one_the_code_returns():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = dict(re.findall(r"^\| (\d+) \| (.+?) \|$", readme, flags=re.MULTILINE))
    assert {int(code): meaning for code, meaning in table.items()} == {
        int(code): code.meaning for code in ExitCode
    }
