"""A child process that imports one photo with skintrack's session service and is killed midway.

``python tracking_child.py DATA_DIR SESSION PHOTO TAKEN_AT after_copy|before_commit``

``after_copy`` SIGKILLs the process right after the photo file is in the store, before any row is
inserted; ``before_commit`` after every row is inserted, before the commit. Used by
``test_tracking.py``: a real process, really killed, no clean-up of any kind.
"""

from __future__ import annotations

import os
import signal
import sys
from datetime import datetime

from skintrack.storage import db
from skintrack.tracking import Tracker


def main() -> int:
    data_dir, session, photo, taken, where = sys.argv[1:6]
    taken_at = datetime.fromisoformat(taken)
    with Tracker(data_dir) as tracker:
        if where == "after_copy":
            put = tracker.store.put

            def put_then_die(data, fmt):
                stored = put(data, fmt)
                os.kill(os.getpid(), signal.SIGKILL)
                return stored

            tracker.store.put = put_then_die
        elif where == "before_commit":
            real = db.transaction

            def die_at_commit(conn):
                cm = real(conn)

                class Dying:
                    def __enter__(self):
                        return cm.__enter__()

                    def __exit__(self, *exc):
                        os.kill(os.getpid(), signal.SIGKILL)

                return Dying()

            db.transaction = die_at_commit
        tracker.add_photos(int(session), [photo], taken_at=taken_at, now=taken_at)
    return 0


if __name__ == "__main__":
    sys.exit(main())
