"""Where the data folder is: --data-dir, then $SKINTRACK_HOME, then the platform's user folder."""

from __future__ import annotations

from pathlib import Path

from skintrack.storage.paths import ENV_HOME, default_data_dir, resolve_data_dir


def test_explicit_beats_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_HOME, str(tmp_path / "env"))
    paths = resolve_data_dir(tmp_path / "explicit")
    assert paths.root == (tmp_path / "explicit").resolve()
    assert paths.database == paths.root / "skintrack.db"
    assert paths.photos == paths.root / "photos"


def test_environment_beats_default(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_HOME, str(tmp_path / "env"))
    assert resolve_data_dir(None).root == (tmp_path / "env").resolve()


def test_default_is_the_user_data_folder(monkeypatch):
    monkeypatch.delenv(ENV_HOME, raising=False)
    root = resolve_data_dir().root
    assert root == default_data_dir().resolve()
    assert root.name == "skintrack"


def test_relative_and_home_paths_become_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert resolve_data_dir("data").root == tmp_path.resolve() / "data"
    monkeypatch.setenv("HOME", str(tmp_path))
    assert resolve_data_dir("~/st").root == tmp_path.resolve() / "st"


def test_nothing_is_created_by_resolving(tmp_path):
    resolve_data_dir(tmp_path / "later")
    assert not Path(tmp_path / "later").exists()
