"""The import direction from docs/adr/0001 and 0006: app, cli -> report -> tracking -> storage ->
core; tracking is the one door into the data; Qt only in app.

Checked statically (every import statement in src/, and no ``.conn`` above tracking) and
dynamically (every module of the Qt-free packages imports with PySide6 and shiboken6 blocked).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "skintrack"

#: package -> skintrack packages it may import (besides itself and the top-level helpers)
#: ``words`` (docs/adr/0010) is the one vocabulary: every package may import it, and it imports no
#: skintrack package (checked below with relative imports too).
ALLOWED = {
    "core": {"core", "words"},
    "storage": {"core", "storage", "words"},
    "tracking": {"core", "storage", "tracking", "words"},
    # The door (ADR 0006): above tracking, nothing imports storage; the data comes through tracking.
    "report": {"core", "tracking", "report", "words"},
    "cli": {"core", "tracking", "report", "cli", "app", "words"},
    "app": {"core", "tracking", "report", "app", "words"},
    "words": set(),
}
#: Packages that go through the door: they may not touch a tracker's database connection either.
ABOVE_THE_DOOR = {"report", "cli", "app"}
#: Qt may be imported by app only; no file outside it is an exception (the PDF is written with
#: fpdf2 since ADR 0503).
QT_ALLOWED = {"app"}
QT_ALLOWED_FILES: set[str] = set()


def _package_of(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0].removesuffix(".py") if len(rel.parts) > 1 or rel.suffix else rel.stem


def _imports(path: Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, node.lineno


def test_import_direction_and_qt_boundary():
    problems = []
    for path in SRC.rglob("*.py"):
        pkg = _package_of(path)
        rel = path.relative_to(SRC).as_posix()
        for mod, line in _imports(path):
            parts = mod.split(".")
            if parts[0] == "skintrack" and len(parts) > 1 and pkg in ALLOWED:
                target = parts[1]
                if target in ALLOWED and target not in ALLOWED[pkg]:
                    problems.append(f"{rel}:{line} ({pkg}) imports {mod}")
            if parts[0] in ("PySide6", "shiboken6") and pkg not in QT_ALLOWED:
                if rel not in QT_ALLOWED_FILES:
                    problems.append(f"{rel}:{line} imports Qt ({mod}) outside app/")
            if parts[0] == "sqlite3" and pkg == "core":
                problems.append(f"{rel}:{line} imports sqlite3 in core/")
    assert not problems, "\n".join(problems)


def test_no_connection_used_above_the_door():
    """report, cli and app read and write through the tracker's methods, never its ``conn``."""
    problems = []
    for path in SRC.rglob("*.py"):
        if _package_of(path) not in ABOVE_THE_DOOR:
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "conn":
                problems.append(f"{path.relative_to(SRC).as_posix()}:{node.lineno} uses .conn")
    assert not problems, "\n".join(problems)


def _qt_free_modules() -> list[str]:
    """Every module of every package but app (found by walking src/, so new packages count),
    and the command line's modules except the one that starts the app."""
    out = []
    for p in sorted(SRC.rglob("*.py")):
        rel = p.relative_to(SRC)
        if len(rel.parts) < 2 or rel.parts[0] in QT_ALLOWED or rel.name == "__main__.py":
            continue
        if rel.as_posix() in QT_ALLOWED_FILES or rel.as_posix() in QT_CLI_FILES:
            continue
        parts = rel.with_suffix("").parts
        out.append("skintrack." + ".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return out


#: Command-line modules allowed to need Qt at import (none today: cli/app.py imports it lazily).
QT_CLI_FILES: set[str] = set()

#: Run in a fresh interpreter: a finder first on sys.meta_path refuses PySide6 and shiboken6, as
#: if they were not installed, then every module is imported.
_BLOCKED_QT = """
import importlib, importlib.abc, sys

class NoQt(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("PySide6", "shiboken6"):
            raise ImportError(f"{name} is blocked: Qt outside app/")
        return None

sys.meta_path.insert(0, NoQt())
failed = []
for m in MODULES:
    try:
        importlib.import_module(m)
    except Exception as exc:
        failed.append(f"{m}: {type(exc).__name__}: {exc}")
print("\\n".join(failed) or "ok")
print(sorted(k for k in sys.modules if k.split(".")[0] in ("PySide6", "shiboken6")))
"""


def test_qt_free_packages_import_with_qt_blocked():
    modules = _qt_free_modules()
    packages = {m.split(".")[1] for m in modules}
    # The walk finds them all: the layers below app, and the command line.
    assert {"core", "storage", "tracking", "report", "cli"} <= packages
    assert "skintrack.tracking.views" in modules and "skintrack.report.build" in modules
    code = f"MODULES = {modules!r}\n" + _BLOCKED_QT
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.strip().splitlines()
    assert lines[0] == "ok", "\n".join(lines[:-1])
    assert lines[-1] == "[]"


def test_the_qt_blocker_catches_a_qt_import(tmp_path):
    """The blocker itself works: a module that imports Qt fails under it, named with the cause."""
    (tmp_path / "uses_qt.py").write_text("from PySide6.QtCore import QObject\n")
    code = f"import sys; sys.path.insert(0, {str(tmp_path)!r})\nMODULES = ['uses_qt']\n"
    out = subprocess.run([sys.executable, "-c", code + _BLOCKED_QT], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.startswith("uses_qt: ImportError: PySide6 is blocked")


#: The only product modules that may import ``skintrack.simulate`` (docs/adr/0007): the demo
#: renders its follow-up photos with the redness phantom.
SIMULATE_USERS = {"cli/demo.py"}


def _skintrack_targets(path: Path):
    """(package under skintrack, line) of every skintrack import of ``path``, relative ones and
    ``from skintrack import x`` included."""
    rel = path.relative_to(SRC)
    here = ["skintrack", *rel.parent.parts]
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            mods = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = here[: len(here) - node.level + 1] if node.level else []
            mod = ".".join([*base, *(node.module.split(".") if node.module else [])])
            mods = [f"{mod}.{alias.name}" for alias in node.names]
        else:
            continue
        for mod in mods:
            parts = mod.split(".")
            if parts[0] == "skintrack" and len(parts) > 1:
                yield parts[1], node.lineno


def test_only_the_demo_imports_simulate_and_simulate_imports_only_core():
    problems = []
    for path in SRC.rglob("*.py"):
        pkg = _package_of(path)
        rel = path.relative_to(SRC).as_posix()
        for target, line in _skintrack_targets(path):
            if target == "simulate" and pkg != "simulate" and rel not in SIMULATE_USERS:
                problems.append(f"{rel}:{line} imports skintrack.simulate (only the demo may)")
            if pkg == "simulate" and target not in ("core", "simulate"):
                problems.append(f"{rel}:{line} (simulate) imports skintrack.{target}")
    assert not problems, "\n".join(problems)
    assert (SRC / "simulate").is_dir() and not (SRC / "core" / "phantom.py").exists()


def test_words_imports_nothing_from_skintrack_and_every_package_may_import_it():
    """The vocabulary sits under every layer (docs/adr/0010): it imports no skintrack module (so
    core can use it without an import cycle), and nothing but the standard library."""
    path = SRC / "words.py"
    assert list(_skintrack_targets(path)) == []
    third_party = {mod.split(".")[0] for mod, _ in _imports(path)} - {
        "__future__",
        "collections",
        "dataclasses",
    }
    assert third_party == set()
    assert all("words" in allowed for pkg, allowed in ALLOWED.items() if pkg != "words")


def test_shared_shapes_are_defined_once():
    """One definition each (issue 15): the progress callback (core/progress.py), the close-up of
    a finding (core/crops.py), the vocabulary's tables (words.py); a copy elsewhere is an error."""
    once = {
        "Progress": "core/progress.py",
        "finding_crop": "core/crops.py",
        "REGION_WORDS": "words.py",
        "KIND_WORDS": "words.py",
        "STATUS_WORDS": "words.py",
        "URGENCY_WORDS": "words.py",
        "CHOICE_WORDS": "words.py",
        "DEVICE_WORDS": "words.py",
    }
    found: dict[str, list[str]] = {name: [] for name in once}
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC).as_posix()
        for node in ast.parse(path.read_text(), filename=str(path)).body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name in once:
                found[node.name].append(rel)
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for t in targets:
                    if isinstance(t, ast.Name) and t.id in once:
                        found[t.id].append(rel)
    assert found == {name: [where] for name, where in once.items()}
