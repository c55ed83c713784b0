"""The desktop bundle's launcher files (ADR 0005); the bundle itself is built and run by
``make dist-check`` (``packaging/check_bundle.py``), which CI runs after the tests."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys

from PIL import Image

from tests.conftest import ROOT

PACKAGING = ROOT / "packaging"
APP = ROOT / "src" / "skintrack" / "app"


def _desktop_entry(path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str  # keys are case-sensitive
    parser.read_string(path.read_text())
    return parser["Desktop Entry"]


def test_desktop_entry_starts_the_app_with_its_icon():
    entry = _desktop_entry(PACKAGING / "skintrack.desktop")
    assert entry["Type"] == "Application" and entry["Name"] == "skintrack"
    assert entry["Exec"] == "skintrack app" and entry["Icon"] == "skintrack"
    assert entry["Terminal"] == "false" and entry["Categories"].endswith(";")


def test_icon_is_drawn_from_one_list_of_shapes():
    """The committed SVG and PNG are what packaging/draw_icon.py draws (square, 256 px)."""
    sys.path.insert(0, str(PACKAGING))
    try:
        import draw_icon
    finally:
        sys.path.remove(str(PACKAGING))
    assert (APP / "skintrack.svg").read_text() == draw_icon.svg()
    with Image.open(APP / "skintrack.png") as im:
        assert im.size == (256, 256) and im.mode == "RGBA"
        assert im.getpixel((0, 0))[3] == 0 and im.getpixel((128, 128))[3] == 255  # rounded corner


def test_install_script_puts_the_entry_in_the_menu_pointing_at_the_folder(tmp_path):
    folder = tmp_path / "my apps" / "skintrack"  # a space in the path, as in "My Apps"
    folder.mkdir(parents=True)
    for name in ("skintrack.desktop", "install-desktop-entry.sh"):
        shutil.copy2(PACKAGING / name, folder / name)
    shutil.copy2(APP / "skintrack.png", folder / "skintrack.png")
    data = tmp_path / "share"
    out = subprocess.run(
        ["sh", str(folder / "install-desktop-entry.sh")],
        capture_output=True,
        text=True,
        env={"HOME": str(tmp_path), "XDG_DATA_HOME": str(data), "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    entry = _desktop_entry(data / "applications" / "skintrack.desktop")
    assert entry["Exec"] == f'"{folder}/skintrack" app'
    assert (data / "icons" / "hicolor" / "256x256" / "apps" / "skintrack.png").is_file()


def test_pyinstaller_is_an_optional_extra_not_a_test_dependency():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert any(d.startswith("pyinstaller") for d in project["optional-dependencies"]["dist"])
    assert not any("pyinstaller" in d.lower() for d in project["dependencies"])
    assert not any("pyinstaller" in d.lower() for d in project["optional-dependencies"]["test"])
    makefile = (ROOT / "Makefile").read_text()
    test_install = makefile[makefile.index("$(STAMP): pyproject.toml") : makefile.index("test: ")]
    assert "'.[test]'" in test_install and "dist" not in test_install


def test_desktop_entry_passes_desktop_file_validate(tmp_path):
    """freedesktop.org's own checker, where it is installed (desktop-file-utils)."""
    import pytest

    if shutil.which("desktop-file-validate") is None:
        pytest.skip("desktop-file-validate is not installed (apt install desktop-file-utils)")
    out = subprocess.run(
        ["desktop-file-validate", str(PACKAGING / "skintrack.desktop")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0 and out.stdout.strip() == "", out.stdout + out.stderr
