"""The content-addressed photo store: named by hash, written atomically, never modified."""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import time

import pytest

from skintrack.storage import photostore
from skintrack.storage.db import StorageError
from skintrack.storage.photostore import PhotoStore

from ..conftest import SAMPLES


@pytest.fixture
def jpeg_bytes() -> bytes:
    return (SAMPLES / "obama.jpg").read_bytes()


def test_put_names_the_file_by_its_hash_and_makes_it_read_only(tmp_path, jpeg_bytes):
    store = PhotoStore(tmp_path / "photos")
    sp = store.put(jpeg_bytes, "jpeg")
    sha = hashlib.sha256(jpeg_bytes).hexdigest()
    assert sp.sha256 == sha and sp.created and sp.size == len(jpeg_bytes)
    assert sp.name == f"{sha[:2]}/{sha}.jpg"
    path = store.path(sp.name)
    assert path.read_bytes() == jpeg_bytes
    assert not os.stat(path).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    assert store.read(sp.name, sha256=sha) == jpeg_bytes
    assert list(store.names()) == [sp.name]
    assert not list((tmp_path / "photos").glob("*/.tmp-*"))  # no temporary left behind


def test_putting_the_same_photo_again_changes_nothing(tmp_path, jpeg_bytes):
    store = PhotoStore(tmp_path / "photos")
    first = store.put(jpeg_bytes, "jpeg")
    mtime = store.path(first.name).stat().st_mtime_ns
    again = store.put(jpeg_bytes, "jpeg")
    assert again.name == first.name and not again.created
    assert store.path(first.name).stat().st_mtime_ns == mtime


def test_a_damaged_copy_is_detected_and_repaired_by_the_next_put(tmp_path, jpeg_bytes):
    store = PhotoStore(tmp_path / "photos")
    sp = store.put(jpeg_bytes, "jpeg")
    path = store.path(sp.name)
    os.chmod(path, 0o644)
    path.write_bytes(jpeg_bytes[:1000])  # bit rot, a truncated copy
    with pytest.raises(StorageError, match="damaged"):
        store.read(sp.name, sha256=sp.sha256)
    assert store.put(jpeg_bytes, "jpeg").created
    assert store.read(sp.name, sha256=sp.sha256) == jpeg_bytes


def test_missing_file_is_a_readable_error(tmp_path):
    store = PhotoStore(tmp_path / "photos")
    with pytest.raises(StorageError, match="missing"):
        store.read("ab/" + "ab" * 32 + ".jpg")


def test_full_disk_leaves_no_file_and_says_so(tmp_path, jpeg_bytes, monkeypatch):
    store = PhotoStore(tmp_path / "photos")

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(photostore.os, "fsync", full)  # the OS's answer on a full disk
    with pytest.raises(StorageError, match="disk is full; nothing was changed"):
        store.put(jpeg_bytes, "jpeg")
    monkeypatch.undo()
    assert list(store.names()) == []
    assert not list((tmp_path / "photos").glob("*/.tmp-*"))


def test_unreferenced_files_and_stale_temporaries(tmp_path, jpeg_bytes):
    store = PhotoStore(tmp_path / "photos")
    a = store.put(jpeg_bytes, "jpeg")
    b = store.put(b"another photo's bytes", "png")
    assert store.unreferenced([a.name]) == [b.name]
    stale = store.path(a.name).parent / ".tmp-crashed"
    stale.write_bytes(b"half a photo")
    fresh = store.path(a.name).parent / ".tmp-in-progress"
    fresh.write_bytes(b"being written")
    old = time.time() - 7200
    os.utime(stale, (old, old))
    assert store.remove_stale_temp_files(older_than_s=3600) == 1
    assert not stale.exists() and fresh.exists()
    assert sorted(store.names()) == sorted([a.name, b.name])  # temporaries are never names


def test_discard_and_bad_names(tmp_path, jpeg_bytes):
    store = PhotoStore(tmp_path / "photos")
    sp = store.put(jpeg_bytes, "jpeg")
    store.discard(sp.name)
    assert list(store.names()) == []
    with pytest.raises(ValueError):
        store.path("../../etc/passwd")
