"""Check page: the photo with findings circled, zoomed crops to confirm or dismiss, the protocol
questions, and the GO / REVIEW / POSTPONE verdict with its reasons.

The verdict is recomputed on the GUI thread whenever a choice changes: :func:`decide` is a few
comparisons over a short list, far below a frame's time.
"""

from __future__ import annotations

import html

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from skintrack.app.model import AppModel
from skintrack.app.pages.common import Banner, hint_label, html_list, section_label, title_label
from skintrack.app.qtimage import rgb_to_pixmap
from skintrack.app.widgets.image_view import Circle, ImageView
from skintrack.core.regions import REGION_NAMES

#: Findings shown with crops; the rest are counted (a busy acne photo can have dozens).
MAX_FINDING_ROWS = 24
CROP_PX = 112

REGION_LABELS = {
    "forehead": "Forehead", "left_cheek": "Left cheek", "right_cheek": "Right cheek",
    "nose": "Nose", "chin": "Chin", "perioral": "Around the mouth", "lips": "Lips",
}
KIND_LABELS = {
    "comedone": "Blackhead or whitehead", "papule": "Red bump (papule)",
    "pustule": "Pustule (white or yellow head)", "nodule": "Deep lump (nodule)",
    "open_wound": "Open wound", "crust": "Scab (crust)", "cold_sore": "Cold sore",
}
URGENT_KINDS = ("pustule", "open_wound", "crust", "cold_sore")
DECISION_TEXT = {
    "go": ("GO: your skin looks ready", "go"),
    "review": ("REVIEW: look again before you start", "review"),
    "postpone": ("POSTPONE: do not treat today", "postpone"),
}


def finding_colour(finding, choice: str | None) -> tuple[int, int, int]:
    if choice == "dismissed":
        return (170, 170, 170)
    return (255, 80, 60) if getattr(finding, "kind", "") in URGENT_KINDS else (255, 200, 0)


def finding_crop(rgb: np.ndarray, finding, size: int = CROP_PX) -> np.ndarray:
    """A square zoom around a finding (at least 4 radii across), with its circle drawn."""
    import cv2

    h, w = rgb.shape[:2]
    r = max(float(finding.radius_px), 4.0)
    half = int(max(4 * r, 24))
    x, y = int(round(finding.x)), int(round(finding.y))
    x0, y0, x1, y1 = max(0, x - half), max(0, y - half), min(w, x + half), min(h, y + half)
    crop = np.ascontiguousarray(rgb[y0:y1, x0:x1])
    if crop.size == 0:
        return np.zeros((size, size, 3), np.uint8)
    s = size / max(crop.shape[:2])
    crop = cv2.resize(crop, (max(1, round(crop.shape[1] * s)), max(1, round(crop.shape[0] * s))),
                      interpolation=cv2.INTER_CUBIC if s > 1 else cv2.INTER_AREA)
    cv2.circle(crop, (round((x - x0) * s), round((y - y0) * s)), max(3, round(r * s * 1.3)),
               finding_colour(finding, None), 1, cv2.LINE_AA)
    return crop


def _verdict_module():
    try:
        from skintrack.core import verdict
    except ImportError:
        return None
    return verdict if hasattr(verdict, "decide") else None


def _questionnaire_module():
    try:
        from skintrack.core import questionnaire
    except ImportError:
        return None
    return questionnaire if hasattr(questionnaire, "QUESTIONS") else None


def compute_verdict(model: AppModel):
    """The verdict for the model's analysis and choices, or ``None`` when it cannot be computed."""
    a = model.analysis
    vm = _verdict_module()
    if a is None or vm is None:
        return None
    answers = None
    qm = _questionnaire_module()
    if qm is not None and model.answers:
        answers = qm.Answers.from_dict(model.answers)
    face = a.detection.face
    return vm.decide(list(a.findings), a.quality, answers=answers, treated=tuple(model.treated),
                     dismissed=frozenset(model.dismissed), confirmed=frozenset(model.confirmed),
                     mm_per_px=face.mm_per_px if face else None)


class FindingRow(QFrame):
    """One finding: the zoomed crop, what it may be, and Confirm / Dismiss buttons."""

    choice_made = Signal(str, object)  # finding id, "confirmed" | "dismissed" | None

    def __init__(self, rgb: np.ndarray, finding, choice: str | None, parent=None) -> None:
        super().__init__(parent)
        self.finding = finding
        self.setFrameShape(QFrame.Shape.StyledPanel)
        lay = QHBoxLayout(self)
        crop = QLabel()
        crop.setPixmap(rgb_to_pixmap(finding_crop(rgb, finding)))
        crop.setAccessibleName("zoomed view of the finding")
        lay.addWidget(crop)
        text = QVBoxLayout()
        kind = KIND_LABELS.get(finding.kind, finding.kind.replace("_", " "))
        where = REGION_LABELS.get(finding.region or "", finding.region or "")
        size = f"{finding.diameter_mm:.1f} mm" if finding.diameter_mm else \
            f"{2 * finding.radius_px:.0f} px"
        self.title = QLabel(f"<b>{html.escape(kind)}</b>")
        text.addWidget(self.title)
        text.addWidget(hint_label(f"{where} · about {size} · certainty {finding.score:.0%}"))
        buttons = QHBoxLayout()
        self.confirm = QPushButton("Yes, it is there")
        self.confirm.setCheckable(True)
        self.dismiss = QPushButton("No, dismiss")
        self.dismiss.setCheckable(True)
        self.dismiss.setToolTip("For example a freckle, a mole or a shadow")
        self.confirm.setChecked(choice == "confirmed")
        self.dismiss.setChecked(choice == "dismissed")
        self.confirm.clicked.connect(lambda on: self._choose("confirmed" if on else None))
        self.dismiss.clicked.connect(lambda on: self._choose("dismissed" if on else None))
        buttons.addWidget(self.confirm)
        buttons.addWidget(self.dismiss)
        buttons.addStretch(1)
        text.addLayout(buttons)
        lay.addLayout(text, 1)
        self.setAccessibleName(f"Finding: {kind}, {where}")

    def _choose(self, choice) -> None:
        self.choice_made.emit(self.finding.id, choice)


class QuestionsForm(QWidget):
    """The protocol questions, as the questionnaire module defines them."""

    changed = Signal(dict)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.form = QFormLayout(self)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.inputs: dict[str, QWidget] = {}
        self._loading = False
        qm = _questionnaire_module()
        if qm is None:
            self.form.addRow(hint_label("The protocol questions are not available in this version."))
            return
        for question in qm.QUESTIONS:
            widget = self._input_for(question)
            label = QLabel(question.text)
            label.setWordWrap(True)
            label.setBuddy(widget)
            self.form.addRow(label, widget)
            self.inputs[question.id] = widget

    def _input_for(self, question) -> QWidget:
        kind = getattr(question, "kind", "yes_no")
        choices = tuple(getattr(question, "choices", None) or getattr(question, "options", None) or ())
        if kind in ("number", "float", "mm"):
            w = QDoubleSpinBox()
            w.setDecimals(2)
            w.setRange(0.0, 5.0)
            w.setSingleStep(0.05)
            w.setSpecialValueText("not answered")
            w.valueChanged.connect(self._emit)
            return w
        w = QComboBox()
        w.addItem("not answered", None)
        if kind in ("yes_no", "bool", "boolean") or not choices:
            w.addItem("Yes", True)
            w.addItem("No", False)
        else:
            for c in choices:
                w.addItem(str(c).replace("_", " "), c)
        w.currentIndexChanged.connect(self._emit)
        return w

    def values(self) -> dict:
        out = {}
        for qid, w in self.inputs.items():
            if isinstance(w, QDoubleSpinBox):
                if w.value() > w.minimum():
                    out[qid] = round(w.value(), 2)
            elif w.currentData() is not None:
                out[qid] = w.currentData()
        return out

    def set_values(self, values: dict) -> None:
        self._loading = True
        try:
            for qid, w in self.inputs.items():
                v = values.get(qid)
                if isinstance(w, QDoubleSpinBox):
                    w.setValue(float(v) if v is not None else w.minimum())
                else:
                    i = w.findData(v) if v is not None else 0
                    w.setCurrentIndex(max(0, i))
        finally:
            self._loading = False

    def _emit(self, *_args) -> None:
        if not self._loading:
            self.changed.emit(self.values())


class CheckPage(QWidget):
    """Shows the model's analysis and verdict. Choices are emitted (``finding_choice``,
    ``answers_changed``); the controller saves them and updates the model, which redraws this."""

    #: The person confirmed or dismissed a finding (id, "confirmed" | "dismissed" | None).
    finding_choice = Signal(str, object)
    #: The questionnaire answers changed.
    answers_changed = Signal(dict)

    def __init__(self, model: AppModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.verdict = None
        self.rows: list[FindingRow] = []
        self.verdict_error = ""

        lay = QVBoxLayout(self)
        lay.addWidget(title_label("Check before treatment"))
        split = QSplitter(Qt.Orientation.Horizontal)
        self.view = ImageView("Take or import a photo to check your skin before treatment.")
        self.view.setAccessibleName("Photo with findings circled")
        self.view.clicked.connect(self._clicked_at)
        split.addWidget(self.view)

        side = QWidget()
        side_lay = QVBoxLayout(side)
        self.banner = Banner()
        side_lay.addWidget(self.banner)
        self.quality_label = hint_label()
        side_lay.addWidget(self.quality_label)

        side_lay.addWidget(section_label("Areas you will treat"))
        regions = QGridLayout()
        self.region_boxes: dict[str, QCheckBox] = {}
        for i, name in enumerate(REGION_NAMES):
            box = QCheckBox(REGION_LABELS[name])
            box.toggled.connect(self._treated_changed)
            regions.addWidget(box, i // 3, i % 3)
            self.region_boxes[name] = box
        side_lay.addLayout(regions)

        self.findings_title = section_label("Findings")
        side_lay.addWidget(self.findings_title)
        self.findings_hint = hint_label()
        side_lay.addWidget(self.findings_hint)
        self.findings_box = QVBoxLayout()
        side_lay.addLayout(self.findings_box)

        side_lay.addWidget(section_label("Questions"))
        self.questions = QuestionsForm()
        self.questions.changed.connect(self.answers_changed.emit)
        side_lay.addWidget(self.questions)
        side_lay.addStretch(1)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(side)
        scroll.setMinimumWidth(380)
        split.addWidget(scroll)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        lay.addWidget(split, 1)

        model.check_changed.connect(self.refresh)
        model.session_changed.connect(lambda _s: self.refresh())
        self.refresh()

    # --- model -> view ------------------------------------------------------------------------------
    def refresh(self) -> None:
        m = self.model
        a = m.analysis
        for name, box in self.region_boxes.items():
            box.blockSignals(True)
            box.setChecked(name in m.treated)
            # An open session fixes the treated areas (chosen when it was created).
            box.setEnabled(m.session is None)
            box.blockSignals(False)
        if self.questions.values() != m.answers:
            self.questions.set_values(m.answers)
        if a is None:
            self.view.set_image(None)
            self.banner.set("No photo yet", "Take a photo on the Capture page or import one "
                            "(Ctrl+O) to check your skin before treatment.", "neutral")
            self.quality_label.setText("")
            self._set_findings([])
            return
        self.view.set_image(a.photo.rgb)
        if a.quality.ok:
            self.quality_label.setText("Photo quality: good enough to judge.")
        else:
            self.quality_label.setText("Photo quality problems:\n" + "\n".join(
                f"• {p.message}" for p in a.quality.problems))
        self._set_findings(list(a.findings))
        try:
            self.verdict = compute_verdict(m)
            self.verdict_error = ""
        except Exception as exc:  # bad answers etc.: say what is wrong, keep the rest usable
            self.verdict = None
            self.verdict_error = str(exc)
        self._show_verdict()

    def _show_verdict(self) -> None:
        v = self.verdict
        if self.verdict_error:
            self.banner.set("Cannot decide yet", html.escape(self.verdict_error), "review")
            return
        if v is None:
            self.banner.set("Findings only", "The GO / REVIEW / POSTPONE decision is not available "
                            "in this version: judge the findings below yourself, and postpone when "
                            "in doubt.", "neutral")
            return
        headline, tone = DECISION_TEXT.get(v.decision, (v.decision.upper(), "neutral"))
        reasons = [getattr(r, "text", str(r)) for r in v.reasons]
        self.banner.set(headline, html_list(reasons), tone)
        tips = [f"{getattr(r, 'text', r)} — protocol: “{getattr(r, 'source_sentence', '')}”"
                for r in v.reasons if getattr(r, "source_sentence", "")]
        self.banner.setToolTip("\n\n".join(tips))

    def _set_findings(self, findings) -> None:
        for row in self.rows:
            row.setParent(None)
            row.deleteLater()
        self.rows = []
        a = self.model.analysis
        circles = []
        for f in findings:
            choice = self.model.finding_choice(f.id)
            circles.append(Circle(f.x, f.y, f.radius_px, finding_colour(f, choice),
                                  dashed=choice == "dismissed"))
        self.view.set_circles(circles)
        if a is None:
            self.findings_hint.setText("")
            return
        if not findings:
            self.findings_hint.setText("Nothing was found on the skin regions." if a.regions
                                       else "No face was found, so the skin could not be checked.")
            return
        # Urgent kinds first, then by certainty.
        ordered = sorted(findings, key=lambda f: (f.kind not in URGENT_KINDS, -f.score))
        shown = ordered[:MAX_FINDING_ROWS]
        more = len(ordered) - len(shown)
        self.findings_hint.setText(
            f"{len(findings)} spot{'s' if len(findings) != 1 else ''} found. Look at each one: "
            "confirm it, or dismiss it if it is something else (a freckle, a mole, a shadow)."
            + (f" The {more} least certain are circled on the photo only." if more > 0 else ""))
        for f in shown:
            row = FindingRow(a.photo.rgb, f, self.model.finding_choice(f.id))
            row.choice_made.connect(self.finding_choice.emit)
            self.findings_box.addWidget(row)
            self.rows.append(row)

    # --- view -> model ------------------------------------------------------------------------------
    def _treated_changed(self) -> None:
        self.model.set_treated(tuple(n for n, b in self.region_boxes.items() if b.isChecked()))

    def _clicked_at(self, x: float, y: float) -> None:
        """Clicking a circle scrolls its row into view."""
        for row in self.rows:
            f = row.finding
            if (f.x - x) ** 2 + (f.y - y) ** 2 <= max(f.radius_px * 2, 12) ** 2:
                row.confirm.setFocus()
                parent = row.parentWidget()
                while parent is not None and not isinstance(parent, QScrollArea):
                    parent = parent.parentWidget()
                if isinstance(parent, QScrollArea):
                    parent.ensureWidgetVisible(row)
                return
