"""The runtime dependencies are what the program imports, no more and no fewer (ADR 0009)."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions

from tests.conftest import ROOT


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _runtime_dependencies() -> set[str]:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    return {_norm(re.match(r"[A-Za-z0-9_.\-]+", d).group(0)) for d in deps}


def _third_party_imports() -> dict[str, str]:
    """Top-level module -> one file of src/ that imports it, for every module not ours or stdlib."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "src" / "skintrack").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top != "skintrack" and top not in sys.stdlib_module_names:
                    found.setdefault(top, str(path.relative_to(ROOT)))
    return found


def test_every_import_of_the_program_is_a_runtime_dependency():
    runtime = _runtime_dependencies()
    providers = packages_distributions()
    for module, where in _third_party_imports().items():
        dists = {_norm(d) for d in providers.get(module, [])}
        assert dists & runtime, f"{where} imports {module}, which no runtime dependency provides"


def test_every_runtime_dependency_is_imported_by_the_program():
    providers = packages_distributions()
    imported = {_norm(d) for m in _third_party_imports() for d in providers.get(m, [])}
    unused = _runtime_dependencies() - imported
    assert not unused, f"runtime dependencies the program never imports: {sorted(unused)}"


def test_training_and_test_only_libraries_are_extras():
    runtime = _runtime_dependencies()
    assert "scikit-learn" not in runtime and "scikit-image" not in runtime
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert any(_norm(d).startswith("scikit-learn") for d in extras["train"])
    assert any(_norm(d).startswith("scikit-image") for d in extras["test"])
