"""What the window does when the person acts: import, capture, analyse, compare.

Each action queues a task on the :class:`~skintrack.app.workers.TaskRunner` and puts its result into
the :class:`~skintrack.app.model.AppModel` when it returns on the GUI thread. Failures become
messages (``message`` signal) saying what to do next; what was saved before stays saved.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from skintrack.app.model import AppModel
from skintrack.app.services import AnalysisService
from skintrack.app.workers import TaskContext, TaskRunner

PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp")


class Controller(QObject):
    """Signals: ``navigate(page_name)``, ``message(text, kind)``."""

    navigate = Signal(str)
    message = Signal(str, str)

    def __init__(self, model: AppModel, runner: TaskRunner, analysis: AnalysisService,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.runner = runner
        self.analysis = analysis
        runner.error.connect(lambda text: self.message.emit(text, "error"))

    # --- photos in --------------------------------------------------------------------------------
    def import_paths(self, paths, purpose: str = "check"):
        """Load and analyse photo files off the GUI thread; returns the task handle."""
        paths = [str(p) for p in paths]
        if not paths:
            return None
        label = "Importing 1 photo" if len(paths) == 1 else f"Importing {len(paths)} photos"
        return self.runner.submit(label, _load_and_analyse, paths, self.analysis,
                                  on_done=lambda res: self._photos_analysed(res, purpose),
                                  on_cancelled=lambda: self.message.emit(
                                      "Import cancelled; nothing was added.", "info"))

    def use_frame(self, rgb, purpose: str = "check"):
        """Analyse a frame the shutter took."""
        from skintrack.core.intake import photo_from_array

        photo = photo_from_array(rgb, source="camera")
        return self.runner.submit("Analysing the photo", _analyse_photos, [photo], self.analysis,
                                  on_done=lambda res: self._photos_analysed(res, purpose))

    def _photos_analysed(self, result, purpose: str) -> None:
        analyses, errors = result
        if errors:
            self.message.emit(" ".join(errors) + (" The other photos were imported." if analyses
                                                  else ""), "error")
        if not analyses:
            return
        if purpose == "recovery" and self.model.baseline is not None:
            for a in analyses:
                self.model.add_later(a)
            self.compare_with_baseline(analyses[-1])
            self.navigate.emit("compare")
            return
        if purpose == "recovery":
            self.message.emit("There is no baseline photo yet, so this photo was taken as the "
                              "baseline. Take recovery photos after treatment.", "info")
        a = analyses[-1]
        self.model.set_analysis(a)
        if a.face is not None:
            self.model.set_baseline(a)
        self.navigate.emit("check")

    # --- comparison ---------------------------------------------------------------------------------
    def compare_with_baseline(self, later) -> None:
        baseline = self.model.baseline
        if baseline is None or later is None:
            self.model.set_comparison(None)
            return
        self.runner.submit("Comparing with the baseline photo", _compare, baseline, later,
                           tuple(self.model.treated),
                           on_done=self.model.set_comparison)


# --- tasks (run on the worker thread) ---------------------------------------------------------------

def _load_and_analyse(ctx: TaskContext, paths: list[str], service: AnalysisService):
    from skintrack.core.errors import SkintrackError
    from skintrack.core.intake import load_photo

    analyses, errors = [], []
    for i, path in enumerate(paths):
        ctx.check_cancelled()
        ctx.progress(i, len(paths), f"Analysing {Path(path).name} ({i + 1} of {len(paths)})")
        try:
            analyses.append(service.analyze(load_photo(path)))
        except SkintrackError as exc:
            errors.append(f"{exc}.".replace("..", "."))
    ctx.progress(len(paths), len(paths))
    return analyses, errors


def _analyse_photos(ctx: TaskContext, photos, service: AnalysisService):
    ctx.progress(0, 1, "Analysing the photo")
    return [service.analyze(p) for p in photos], []


class CompareView:
    """What the Compare page shows: both photos on the baseline's grid, and the change map."""

    def __init__(self, baseline, later, comparison, warped, delta_image) -> None:
        self.baseline = baseline
        self.later = later
        self.comparison = comparison
        self.warped = warped  # later photo warped onto the baseline (RGB, baseline size) or None
        self.delta_image = delta_image  # RGB map overlay (baseline size) or None


def build_compare_view(baseline, later, treated=()) -> CompareView:
    """Compare two analyses with whatever the comparison modules of this version provide."""
    comparison = warped = delta_image = None
    try:
        from skintrack.core import compare as cmp
    except ImportError:
        cmp = None
    if cmp is not None and baseline.face is not None and later.face is not None:
        comparison = cmp.compare_analyses(baseline, later, treated=tuple(treated), with_map=True)
        if getattr(comparison, "same_person", True):
            try:
                delta_image = cmp.render_delta_map(baseline.photo.rgb, comparison)
            except Exception:  # the map is an extra; the numbers stand without it
                delta_image = None
    try:
        from skintrack.core import warp as warp_mod
    except ImportError:
        warp_mod = None
    if warp_mod is not None and baseline.face is not None and later.face is not None:
        fn = getattr(warp_mod, "warp_to_baseline", None) or getattr(warp_mod, "warp_onto", None)
        if fn is not None:
            warped = fn(later.photo.rgb, later.face, baseline.face, baseline.photo.rgb.shape[:2])
    return CompareView(baseline, later, comparison, warped, delta_image)


def _compare(ctx: TaskContext, baseline, later, treated):
    ctx.progress(0, 1, "Aligning the photos and measuring the change")
    return build_compare_view(baseline, later, treated)
