"""What every part of :class:`~skintrack.tracking.Tracker` may rely on: its state and the few
facade methods the parts call (internal).

The tracker is one object made of mixins (:mod:`.importing`, :mod:`.views`, :mod:`.status`) over
the facade in :mod:`.service`. The facade sets this state in ``Tracker.__init__`` and defines the
methods named here; this class only declares them, so that each part is type-checked on its own.
"""

from __future__ import annotations

import sqlite3
from collections import OrderedDict
from datetime import datetime
from typing import TYPE_CHECKING

from skintrack.storage import sessions as repo
from skintrack.storage.paths import DataPaths
from skintrack.storage.photostore import PhotoStore

if TYPE_CHECKING:
    from skintrack.core.analysis import Analysis
    from skintrack.core.compare import Comparison
    from skintrack.core.face import FaceEngine
    from skintrack.core.recovery import Symptoms

#: A comparison with its map is kept by (baseline id, sha256, later id, sha256, treated regions).
MapKey = tuple[int, str, int, str, tuple[str, ...]]


class TrackerState:
    """The state of a tracker (set by ``Tracker.__init__``) and the facade methods its parts use."""

    paths: DataPaths
    conn: sqlite3.Connection
    store: PhotoStore
    read_only: bool
    #: (photo id, sha256) -> the analysis of a stored photo, least recently used first (views)
    _analyses: OrderedDict[tuple[int, str], Analysis]
    #: the comparisons with their map (None: no face in one of the photos), oldest first (views)
    _maps: dict[MapKey, Comparison | None]

    if TYPE_CHECKING:

        @property
        def engine(self) -> FaceEngine: ...

        def _writable(self) -> None: ...

        def session(self, session_id: int) -> repo.Session: ...

        def photos(self, session_id: int) -> list[repo.PhotoRow]: ...

        def photo_bytes(self, photo: repo.PhotoRow) -> bytes: ...

        def symptoms(self, session_id: int) -> Symptoms | None: ...

        def aftercare_steps(self, session_id: int) -> dict[str, datetime]: ...
