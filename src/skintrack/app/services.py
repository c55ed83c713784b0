"""Services the window's background tasks use: the face model for photo analysis.

Everything here runs on the :class:`~skintrack.app.workers.TaskRunner` thread only; the GUI thread
never calls it directly.
"""

from __future__ import annotations

import threading


class AnalysisService:
    """One image-mode FaceEngine, loaded on first use (about 0.3 s) and reused for every photo."""

    def __init__(self) -> None:
        self._engine = None
        self._lock = threading.Lock()

    def engine(self):
        from skintrack.core.face import FaceEngine

        if self._engine is None:
            self._engine = FaceEngine(mode="image", max_faces=2)
        return self._engine

    def analyze(self, photo):
        """The :class:`~skintrack.core.analysis.Analysis` of one photo."""
        from skintrack.core.analysis import analyze_photo

        with self._lock:
            return analyze_photo(photo, self.engine())

    def close(self) -> None:
        with self._lock:
            engine, self._engine = self._engine, None
            if engine is not None:
                engine.close()
