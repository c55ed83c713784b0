"""The session service, the one door into the data for the app, the report and the command line
(ADR 0006).

- :mod:`.service`: :class:`Tracker`, the facade: sessions, answers, symptoms, aftercare, findings;
- :mod:`.importing`: the two-phase import (read and check, then one transaction);
- :mod:`.views`: what is computed from stored photos (one cached analysis per photo, one
  comparison with its map, the spots);
- :mod:`.status`: the recovery status of a session;
- :mod:`.records`, :mod:`.errors`: what goes in and out; :mod:`.doctor`: the folder checked without
  a session open.

Storage's records (``Session``, ``PhotoRow``, ``ComparisonRow``, ``FindingRow``) come out of the
tracker's methods as they are, typed: a stored finding is the ``Finding`` it was saved as, a
stored comparison's record a ``ComparisonRecord`` of ``RegionReading``. They, the errors and the
folder types a caller may need to name are re-exported here, so no caller above imports
:mod:`skintrack.storage`.
"""

from skintrack.storage.db import DamagedDatabase, StorageError
from skintrack.storage.folder import BackupInfo, Diagnosis
from skintrack.storage.paths import DataPaths
from skintrack.storage.sessions import ComparisonRecord, ComparisonRow, FindingRow, RegionReading
from skintrack.tracking.doctor import (
    data_paths,
    diagnose,
    no_session_yet,
    prepare_data_folder,
    restore_backup,
)
from skintrack.tracking.errors import BaselineReplaceRefused, CaptureTimeRefused, TrackingError
from skintrack.tracking.records import (
    CLOCK_SKEW,
    DEFAULT_MM_PER_PX,
    MAX_PLANNED_AHEAD,
    MESH_KEY,
    NOT_SAME_FACE,
    SIMULATED_PREFIX,
    ImportResult,
    PhotoSource,
    is_simulated_name,
    is_simulated_session,
)
from skintrack.tracking.service import Tracker
from skintrack.tracking.views import compare_with_map

__all__ = [
    "CLOCK_SKEW",
    "DEFAULT_MM_PER_PX",
    "MAX_PLANNED_AHEAD",
    "MESH_KEY",
    "NOT_SAME_FACE",
    "SIMULATED_PREFIX",
    "BackupInfo",
    "BaselineReplaceRefused",
    "CaptureTimeRefused",
    "ComparisonRecord",
    "ComparisonRow",
    "DamagedDatabase",
    "DataPaths",
    "Diagnosis",
    "FindingRow",
    "ImportResult",
    "PhotoSource",
    "RegionReading",
    "StorageError",
    "Tracker",
    "TrackingError",
    "compare_with_map",
    "data_paths",
    "diagnose",
    "is_simulated_name",
    "is_simulated_session",
    "no_session_yet",
    "prepare_data_folder",
    "restore_backup",
]
