"""Recovery page: the session's photo timeline, the redness chart with the 4–6 h window and the
fitted curve, the status banner and advice, aftercare countdowns and the next check photo."""

from __future__ import annotations

import html
from datetime import UTC, datetime

import numpy as np
from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from skintrack.app.model import AppModel
from skintrack.app.pages.common import (
    Banner,
    CaptureTimeDialog,
    hint_label,
    section_label,
    title_label,
)
from skintrack.app.qtimage import rgb_to_pixmap
from skintrack.app.widgets.chart import ChartView
from skintrack.core import protocol
from skintrack.core.errors import plain
from skintrack.core.readable import duration_text, hours_text
from skintrack.core.recovery import SERUM_STEP
from skintrack.words import URGENCY_WORDS, kind_name, region_name, status_headline

#: Banner tone per status; the words come from skintrack.words.STATUS_WORDS.
STATUS_TONE = {
    "insufficient_data": "neutral",
    "resolved": "go",
    "on_track": "go",
    "slower_than_usual": "review",
    "persistent": "postpone",
    "worsening": "postpone",
}
SYMPTOM_LABELS = {
    "swelling": "Swelling",
    "oozing": "Oozing",
    "fever": "Fever",
    "pain_beyond_mild_burning": "Pain beyond a mild burning",
}
#: How often the countdowns are redrawn, milliseconds.
TICK_MS = 30_000
#: Confidence words shown in the banner, as the report prints them ("Confidence: high.").
CONFIDENCE_SHOWN = ("low", "medium", "high")


def timer_state(t, now: datetime) -> str:
    """How an aftercare rule or check photo stands now, in the report's terms: a check photo is
    done when a photo was taken for it (``t.done``, the report's ☑), not when its time passed."""
    if t.code.startswith("check_photo"):
        when = t.ends_at.astimezone().strftime("%a %H:%M")
        if t.done:
            return "done \u2611"
        left = (t.ends_at - now).total_seconds() / 3600
        if t.active:
            return f"<b>due in {duration_text(left)}</b> ({when})" if left > 0 else f"<b>due now</b> ({when})"
        return f"not taken \u2610 ({when})"
    if t.ends_at is not None:
        left = (t.ends_at - now).total_seconds() / 3600
        when = t.ends_at.astimezone().strftime("%a %H:%M")
        return f"<b>{duration_text(left)} left</b> (until {when})" if left > 0 else f"over ({when})"
    if t.done:
        return "done \u2611"
    return f"until {html.escape(t.until)}" if t.until else ""


def chart_data(status, *, simulated: bool = False) -> dict:
    """Plain data for :func:`skintrack.report.charts.redness_chart` from a RecoveryStatus."""
    series = {
        name: [(o.hours, o.delta_a_star) for o in rr.observations]
        for name, rr in status.regions.items()
        if rr.observations
    }
    fits = [
        (rr.fit, name)
        for name, rr in status.regions.items()
        if rr.fit is not None and name in status.treated_regions
    ]
    fitted = None
    fitted_label = "fitted recovery curve"
    if fits:
        fit, name = max(fits, key=lambda f: f[0].amplitude)
        end = max(8.0, status.hours_since_treatment + 1.0, (fit.resolve_hours or 0.0) + 1.0)
        hours = np.linspace(0.0, min(end, 72.0), 120)
        fitted = list(zip(hours.tolist(), np.asarray(fit.predict(hours)).tolist(), strict=True))
        fitted_label = f"fitted fade ({name.replace('_', ' ')}, τ {hours_text(fit.tau_hours)})"
    return {
        "series": series,
        "fitted": fitted,
        "fitted_label": fitted_label,
        "threshold": status.threshold_a_star or None,
        "simulated": bool(simulated),
        "treated": tuple(status.treated_regions),
        "now_hours": status.hours_since_treatment,
    }


class RecoveryPage(QWidget):
    """Shows ``model.status`` and ``model.laters``. Emits ``symptoms_changed(dict)``,
    ``later_chosen(index)`` (open it in Compare) and ``take_photo_requested()``."""

    symptoms_changed = Signal(dict)
    #: The serum or mask step right after treatment was ticked (True) or unticked.
    serum_ticked = Signal(bool)
    later_chosen = Signal(int)
    take_photo_requested = Signal()
    #: (photo id, corrected capture time): the person corrected a photo's time.
    time_corrected = Signal(int, object)

    def __init__(self, model: AppModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        lay = QVBoxLayout(self)
        lay.addWidget(title_label("Recovery"))
        self.banner = Banner()
        lay.addWidget(self.banner)

        split = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        left_lay = QVBoxLayout(left)
        left_lay.setContentsMargins(0, 0, 0, 0)
        self.chart = ChartView()
        left_lay.addWidget(self.chart, 1)
        left_lay.addWidget(section_label("Photos after treatment"))
        self.timeline = QListWidget()
        self.timeline.setViewMode(QListWidget.ViewMode.IconMode)
        self.timeline.setFlow(QListWidget.Flow.LeftToRight)
        self.timeline.setWrapping(False)
        self.timeline.setIconSize(QSize(96, 96))
        self.timeline.setFixedHeight(150)
        self.timeline.setAccessibleName("Photos after treatment; Enter opens one in Compare")
        self.timeline.itemActivated.connect(lambda item: self.later_chosen.emit(self.timeline.row(item)))
        left_lay.addWidget(self.timeline)
        row = QHBoxLayout()
        self.time_note = hint_label()
        row.addWidget(self.time_note, 1)
        self.time_button = QPushButton("Correct the &time…")
        self.time_button.setToolTip(
            "Change when the selected photo was taken, if its time is wrong; the curve and the status follow."
        )
        self.time_button.clicked.connect(self.correct_time)
        row.addWidget(self.time_button)
        left_lay.addLayout(row)
        # The baseline is not in the timeline, but its time can be wrong too (issue 16).
        row = QHBoxLayout()
        self.baseline_note = hint_label()
        row.addWidget(self.baseline_note, 1)
        self.baseline_time_button = QPushButton("Correct the &baseline's time…")
        self.baseline_time_button.setToolTip(
            "Change when the photo before treatment was taken, if its time is wrong."
        )
        self.baseline_time_button.clicked.connect(self.correct_baseline_time)
        row.addWidget(self.baseline_time_button)
        left_lay.addLayout(row)
        self.timeline.currentRowChanged.connect(lambda _r: self._show_selected_time())
        split.addWidget(left)

        side = QWidget()
        side_lay = QVBoxLayout(side)
        side_lay.addWidget(section_label("What to do"))
        self.advice = QLabel()
        self.advice.setWordWrap(True)
        self.advice.setTextFormat(Qt.TextFormat.RichText)
        side_lay.addWidget(self.advice)
        self.spots_title = section_label("New spots to look at")
        side_lay.addWidget(self.spots_title)
        self.spots_hint = hint_label()
        side_lay.addWidget(self.spots_hint)
        self.spots = QListWidget()
        self.spots.setViewMode(QListWidget.ViewMode.IconMode)
        self.spots.setIconSize(QSize(96, 96))
        self.spots.setFixedHeight(140)
        self.spots.setAccessibleName("New spots seen on one photo, to look at")
        side_lay.addWidget(self.spots)
        side_lay.addWidget(section_label("Next check photo"))
        self.next_photo = hint_label()
        side_lay.addWidget(self.next_photo)
        self.take_button = QPushButton("&Take a check photo now")
        self.take_button.clicked.connect(self.take_photo_requested.emit)
        side_lay.addWidget(self.take_button)
        side_lay.addWidget(section_label("Aftercare"))
        # The protocol's step right after treatment, ticked by the person (issue 17).
        self.serum_box = QCheckBox("Repairing serum or medical-grade mask applied, right after treatment")
        self.serum_box.setToolTip(f"Protocol: “{protocol.SRC_SERUM}”")
        self.serum_box.setAccessibleName("Repairing serum or medical-grade mask applied")
        self.serum_box.toggled.connect(self.serum_ticked.emit)
        side_lay.addWidget(self.serum_box)
        self.timers = QLabel()
        self.timers.setWordWrap(True)
        self.timers.setTextFormat(Qt.TextFormat.RichText)
        side_lay.addWidget(self.timers)
        side_lay.addWidget(section_label("How do you feel?"))
        side_lay.addWidget(hint_label("Tick what you notice now; the camera cannot see these."))
        self.symptom_boxes: dict[str, QCheckBox] = {}
        for name, label in SYMPTOM_LABELS.items():
            box = QCheckBox(label)
            box.toggled.connect(self._symptoms_toggled)
            side_lay.addWidget(box)
            self.symptom_boxes[name] = box
        side_lay.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(side)
        scroll.setMinimumWidth(320)
        split.addWidget(scroll)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        lay.addWidget(split, 1)

        self._tick = QTimer(self)
        self._tick.setInterval(TICK_MS)
        self._tick.timeout.connect(self._show_times)
        self._tick.start()
        model.status_changed.connect(lambda _s: self.refresh())
        model.photos_changed.connect(self._show_timeline)
        model.baseline_changed.connect(lambda _b: self._show_baseline_time())
        model.session_changed.connect(lambda _s: self.refresh())
        self.refresh()

    # --- model -> view ------------------------------------------------------------------------------
    def refresh(self) -> None:
        st = self.model.status
        self._show_symptoms()
        self._show_serum()
        self._show_timeline()
        self._show_baseline_time()
        if st is None:
            self.banner.set(
                "No session open" if self.model.session is None else "No status yet",
                "Open or create a session on the Sessions page. After treatment, take "
                "a photo every hour or two: this page shows how the redness fades.",
                "neutral",
            )
            self.advice.setText("")
            self.timers.setText("")
            self.next_photo.setText("")
            self.chart.clear()
            self._show_spots()
            return
        headline = status_headline(st.status)
        tone = STATUS_TONE.get(st.status, "neutral")
        urgent = URGENCY_WORDS.get(st.urgency, "")
        body = " ".join(
            x
            for x in (
                "<b>SIMULATED demo session</b> (photos rendered by the redness phantom, not a real recovery)."
                if self.model.simulated
                else "",
                f"<b>{html.escape(urgent)}</b>" if urgent else "",
                f"{duration_text(st.hours_since_treatment)} since treatment started."
                if st.hours_since_treatment >= 0
                else "Treatment has not started yet.",
                f"Confidence: {st.confidence}." if st.confidence in CONFIDENCE_SHOWN else "",
                (
                    f"Expected back to normal about {hours_text(st.predicted_resolved_at_hours)} after "
                    "treatment."
                )
                if st.predicted_resolved_at_hours is not None
                else "",
                # The end point (issue 17): said in the status too, not only in the advice.
                "<b>Right after treatment the skin was redder than slightly pink: next time, lighter.</b>"
                if getattr(st, "endpoint", None) and st.endpoint.too_red
                else "",
            )
            if x
        )
        self.banner.set(headline, body, tone)
        levels = {"urgent": "#b3261e", "stop": "#b3261e", "caution": "#8a4b00", "info": "#263238"}
        self.advice.setText(
            "".join(
                f"<p style='color:{levels.get(a.level, '#263238')}'>{html.escape(plain(a.text))}"
                + (
                    f"<br><span style='font-size:small; font-style:italic'>Protocol: "
                    f"“{html.escape(a.source)}”</span>"
                    if a.code == "endpoint_too_red"
                    else ""
                )
                + "</p>"
                for a in st.advice
            )
        )
        tips = [a.source for a in st.advice if a.source and a.source != "skintrack"]
        self.advice.setToolTip("\n\n".join(f"Protocol: “{t}”" for t in tips))
        self.chart.plot(**chart_data(st, simulated=self.model.simulated))
        self._show_spots()
        self._show_times()

    def _show_spots(self) -> None:
        """New spots seen on one photo only: a zoom of each to look at, no alarm (issue 13)."""
        import cv2

        st = self.model.status
        spots = tuple(getattr(st, "spots_to_look_at", ())) if st is not None else ()
        self.spots.clear()
        for w in (self.spots_title, self.spots_hint, self.spots):
            w.setVisible(bool(spots))
        if not spots:
            return
        self.spots_hint.setText(
            "Seen on one photo only, so not counted as getting worse. Look at each in a mirror: "
            "if it is a pustule or an open wound, or the next photo shows it again, stop and "
            "consult a dermatologist."
        )
        for s in spots:
            where = region_name(s.region)
            item = QListWidgetItem(f"{kind_name(s.kind)}, {where}\n{hours_text(s.hours)}")
            if s.crop is not None:
                crop = cv2.resize(np.ascontiguousarray(s.crop), (96, 96), interpolation=cv2.INTER_AREA)
                item.setIcon(QIcon(rgb_to_pixmap(crop)))
            self.spots.addItem(item)

    def _show_times(self) -> None:
        st = self.model.status
        if st is None:
            return
        now = datetime.now(UTC)
        rows = [
            f"<li>{html.escape(t.label)}: {timer_state(t, now)}</li>"
            for t in st.timers
            if t.code != SERUM_STEP
        ]  # the serum step is the tick box above the list
        self.timers.setText("<ul style='margin-left:-20px'>" + "".join(rows) + "</ul>" if rows else "")
        nxt = st.next_photo
        if nxt is None:
            self.next_photo.setText("No more check photos are needed for this session.")
        else:
            left = (nxt.at - now).total_seconds() / 3600
            when = nxt.at.astimezone().strftime("%H:%M")
            due = f"due now ({when})" if left <= 0 else f"at {when}, in {duration_text(left)}"
            self.next_photo.setText(
                f"{hours_text(nxt.hours)} after treatment, {due}. It will show {nxt.settles.rstrip('.')}."
            )
            self.next_photo.setStyleSheet(
                "color: #b3261e; font-weight: bold;" if left <= 0 else "color: #37474f;"
            )

    def _show_timeline(self) -> None:
        self.timeline.clear()
        for later in self.model.laters:
            item = QListWidgetItem(later.label + (f"\n{later.note}" if later.note else ""))
            if later.thumbnail is not None:
                item.setIcon(QIcon(rgb_to_pixmap(later.thumbnail)))
            item.setToolTip(later.note or "Enter or double-click: compare with the baseline")
            self.timeline.addItem(item)
        self._show_selected_time()

    def selected_later(self):
        row = self.timeline.currentRow()
        laters = self.model.laters
        return laters[row] if 0 <= row < len(laters) else None

    def _show_selected_time(self) -> None:
        later = self.selected_later()
        ok = later is not None and later.photo_id is not None and later.taken_at is not None
        self.time_button.setEnabled(ok)
        self.time_note.setText(
            f"Selected photo taken {later.taken_at.astimezone():%d %b %Y %H:%M}."
            if ok
            else "Select a photo to see or correct when it was taken."
        )

    def correct_time(self) -> CaptureTimeDialog | None:
        """Open a dialog for the selected photo's capture time (window-modal, not blocking);
        "Use this time" emits ``time_corrected``. Returns the dialog."""
        later = self.selected_later()
        if later is None or later.photo_id is None or later.taken_at is None:
            return None
        dialog = CaptureTimeDialog(
            f"This photo's time is {later.taken_at.astimezone():%d %b %Y %H:%M}. If the camera "
            "clock or the file's date was wrong, set when it was really taken.",
            later.taken_at,
            self,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        pid = later.photo_id
        dialog.accepted.connect(lambda: self.time_corrected.emit(pid, dialog.taken_at()))
        dialog.open()
        return dialog

    def _show_baseline_time(self) -> None:
        photo = self.model.baseline_photo
        self.baseline_time_button.setEnabled(photo is not None)
        self.baseline_note.setText(
            f"Baseline photo taken {photo.taken_at.astimezone():%d %b %Y %H:%M}."
            if photo is not None
            else "No baseline photo saved in this session yet."
        )

    def correct_baseline_time(self) -> CaptureTimeDialog | None:
        """Like :meth:`correct_time`, for the baseline photo (the photo before treatment)."""
        photo = self.model.baseline_photo
        if photo is None:
            return None
        dialog = CaptureTimeDialog(
            f"The baseline photo's time is {photo.taken_at.astimezone():%d %b %Y %H:%M}. If the "
            "camera clock or the file's date was wrong, set when it was really taken: before "
            "the treatment started.",
            photo.taken_at,
            self,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        pid = photo.id
        dialog.accepted.connect(lambda: self.time_corrected.emit(pid, dialog.taken_at()))
        dialog.open()
        return dialog

    def _show_serum(self) -> None:
        st = self.model.status
        serum = next((t for t in getattr(st, "timers", ()) if t.code == SERUM_STEP), None)
        self.serum_box.blockSignals(True)
        self.serum_box.setChecked(bool(serum and serum.done))
        self.serum_box.setEnabled(self.model.session is not None and st is not None)
        self.serum_box.blockSignals(False)

    def _show_symptoms(self) -> None:
        for name, box in self.symptom_boxes.items():
            box.blockSignals(True)
            box.setChecked(bool(self.model.symptoms.get(name)))
            box.setEnabled(self.model.session is not None)
            box.blockSignals(False)

    def _symptoms_toggled(self) -> None:
        self.symptoms_changed.emit({n: b.isChecked() for n, b in self.symptom_boxes.items()})
