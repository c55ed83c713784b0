"""Check page: the photo with findings circled, zoomed crops to confirm or dismiss, the protocol
questions, and the GO / REVIEW / POSTPONE verdict with its reasons and protocol sentences.

The verdict is :func:`skintrack.core.verdict.decide` over the model's analysis, the person's
confirm/dismiss choices, their answers to :data:`skintrack.core.questionnaire.QUESTIONS` and the
treated regions, recomputed on the GUI thread whenever one of them changes: it is a few comparisons
over a short list, far below a frame's time. The controller saves the choices and answers with the
open session (``skintrack.tracking``); this page only shows them and emits what the person does.
"""

from __future__ import annotations

import html

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from skintrack.app.model import AppModel
from skintrack.app.pages.common import (
    REGION_LABELS,
    Banner,
    hint_label,
    region_checkboxes,
    section_label,
    title_label,
)
from skintrack.app.qtimage import rgb_to_pixmap
from skintrack.app.widgets.image_view import Circle, ImageView
from skintrack.core import protocol
from skintrack.core.errors import SkintrackError
from skintrack.core.questionnaire import (
    CHECKLIST,
    CHECKLIST_CLOSING,
    MAX_PLAUSIBLE_NEEDLE_MM,
    QUESTIONS,
    ROLLER_QUESTIONS,
    Answers,
    Question,
    applies,
    checklist_state,
    unanswered,
)
from skintrack.core.verdict import Verdict, decide, why_not_counted
from skintrack.report.text import CERTAINTY_NOTE

#: Findings shown with crops; the rest are circled on the photo only (a busy acne photo can have
#: dozens, and the ones that matter for the verdict are listed first).
MAX_FINDING_ROWS = 24
CROP_PX = 112

KIND_LABELS = {
    "comedone": "Blackhead or whitehead", "papule": "Red bump (papule)",
    "pustule": "Pustule (white or yellow head)", "nodule": "Deep lump (nodule)",
    "open_wound": "Open wound", "crust": "Scab (crust)", "cold_sore": "Cold sore",
}
DECISION_TEXT = {
    "go": ("GO: your skin looks ready", "go"),
    "review": ("REVIEW: look again before you start", "review"),
    "postpone": ("POSTPONE: do not treat today", "postpone"),
}
#: Plain words for the questionnaire's choices.
CHOICE_LABELS = {
    "patch": "Dissolvable microneedle patch", "roller": "Derma roller", "pen": "Microneedle pen",
    "alcohol_75_10min": "Soaked in 75 % alcohol for 10 minutes or more",
    "uv_box": "In a UV sterilisation box", "other": "Another way", "none": "Not disinfected",
}
_RED, _YELLOW, _GREY = (255, 80, 60), (255, 200, 0), (170, 170, 170)


def finding_colour(finding, choice: str | None, counted: bool = True) -> tuple[int, int, int]:
    """Red for the kinds that postpone treatment, yellow for other acne, grey when dismissed or
    not counted (off the skin, or away from the treated regions)."""
    if choice == "dismissed" or not counted:
        return _GREY
    return _RED if finding.kind in protocol.POSTPONE_KINDS else _YELLOW


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
    # Pad to a square so every row lines up, whatever the photo edge cut off.
    pad_y, pad_x = size - crop.shape[0], size - crop.shape[1]
    crop = cv2.copyMakeBorder(crop, pad_y // 2, pad_y - pad_y // 2, pad_x // 2,
                              pad_x - pad_x // 2, cv2.BORDER_CONSTANT, value=(38, 42, 46))
    cv2.circle(crop, (round((x - x0) * s) + pad_x // 2, round((y - y0) * s) + pad_y // 2),
               max(3, round(r * s * 1.3)), finding_colour(finding, None), 1, cv2.LINE_AA)
    return crop


def model_answers(model: AppModel) -> Answers | None:
    """The model's answers as :class:`Answers` (``None`` when nothing is answered).

    Raises :class:`SkintrackError` for answers the questionnaire refuses.
    """
    return Answers.from_dict(dict(model.answers)) if model.answers else None


def compute_verdict(model: AppModel) -> Verdict | None:
    """The verdict for the model's analysis and choices (``None`` with no photo).

    Raises :class:`SkintrackError` for answers the questionnaire refuses.
    """
    a = model.analysis
    if a is None:
        return None
    cu = model.close_up_result if model.close_up else None
    if cu is not None:
        return decide(list(cu.findings), cu.quality, answers=model_answers(model),
                      dismissed=frozenset(model.dismissed), confirmed=frozenset(model.confirmed),
                      mm_per_px=cu.mm_per_px, close_up=True)
    face = a.detection.face
    return decide(list(a.findings), a.quality, answers=model_answers(model),
                  treated=tuple(model.treated), dismissed=frozenset(model.dismissed),
                  confirmed=frozenset(model.confirmed),
                  mm_per_px=face.mm_per_px if face else None,
                  first_session=model.first_session)


def reasons_html(verdict: Verdict) -> str:
    """The reasons as a list, each followed by the protocol sentence it applies (a sentence
    already quoted for an earlier reason is not repeated)."""
    quoted: set[str] = set()
    items = []
    for r in verdict.reasons:
        item = html.escape(r.text)
        if r.source_sentence not in quoted:
            quoted.add(r.source_sentence)
            item += ("<br><span style='font-size:small; font-style:italic'>Protocol: “"
                     f"{html.escape(r.source_sentence)}”</span>")
        items.append(f"<li style='margin-bottom:4px'>{item}</li>")
    return "<ul style='margin-left:-20px'>" + "".join(items) + "</ul>"


def advice_html(verdict: Verdict) -> str:
    """The verdict's advice (it does not change the decision), each with its protocol sentence."""
    if not verdict.advice:
        return ""
    items = "".join(
        f"<li style='margin-bottom:4px'>{html.escape(n.text)}<br><span style='font-size:small; "
        f"font-style:italic'>Protocol: “{html.escape(n.source_sentence)}”</span></li>"
        for n in verdict.advice)
    return "<p><b>Advice</b></p><ul style='margin-left:-20px'>" + items + "</ul>"


#: How a checklist item's state is shown: a mark and its colour.
CHECK_MARKS = {"ok": ("✔", "#1e7b34"), "attention": ("!", "#8a4b00"), "open": ("○", "#5f6368")}


class Checklist(QWidget):
    """The checklist before treatment (:data:`~skintrack.core.questionnaire.CHECKLIST`): each
    item ticked from the answers, with the protocol sentences it rests on."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        self.items: dict[str, QLabel] = {}
        for item in CHECKLIST:
            label = QLabel()
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setAccessibleName(item.title)
            lay.addWidget(label)
            self.items[item.id] = label
        closing = hint_label(f"“{CHECKLIST_CLOSING}”")
        lay.addWidget(closing)
        self.set_answers({}, first_session=True)

    def state(self, item_id: str) -> str:
        return self._states[item_id]

    def set_answers(self, answers: dict, *, first_session: bool) -> None:
        self._states = {}
        for item in CHECKLIST:
            state = checklist_state(item, answers, first_session=first_session)
            self._states[item.id] = state
            mark, colour = CHECK_MARKS[state]
            sentences = " ".join(f"“{html.escape(s)}”" for s in item.sentences)
            self.items[item.id].setText(
                f"<span style='color:{colour}; font-weight:bold'>{mark}</span> "
                f"<b>{html.escape(item.title)}</b><br><span style='font-size:small; "
                f"font-style:italic; color:#5f6368'>{sentences}</span>")


def unanswered_questions(answers: dict, *, first_session: bool = True) -> list[str]:
    """Ids of the questions that apply and are not answered (the verdict is not GO while there
    are any: :func:`skintrack.core.questionnaire.unanswered`)."""
    return list(unanswered(answers, first_session=first_session))


def _where_words(treated) -> str:
    if not treated:
        return "the whole face"
    return ", ".join(REGION_LABELS[t].lower() for t in treated) + " and the skin next to them"


class FindingRow(QFrame):
    """One finding: the zoomed crop, what it may be, what it means for the verdict, and
    Confirm / Dismiss buttons."""

    choice_made = Signal(str, object)  # finding id, "confirmed" | "dismissed" | None

    def __init__(self, rgb: np.ndarray, finding, parent=None) -> None:
        super().__init__(parent)
        self.finding = finding
        self.not_counted = ""
        self.setFrameShape(QFrame.Shape.StyledPanel)
        lay = QHBoxLayout(self)
        crop = QLabel()
        crop.setPixmap(rgb_to_pixmap(finding_crop(rgb, finding)))
        crop.setAccessibleName("zoomed view of the finding")
        lay.addWidget(crop)
        text = QVBoxLayout()
        kind = KIND_LABELS.get(finding.kind, finding.kind.replace("_", " "))
        if finding.region:
            where = REGION_LABELS.get(finding.region, finding.region)
        elif finding.near_regions:
            where = "Next to the " + REGION_LABELS[finding.near_regions[0]].lower()
        else:
            where = "Edge of the face"
        size = (f"{finding.diameter_mm:.1f} mm" if finding.diameter_mm
                else f"{2 * finding.radius_px:.0f} px")
        self.title = QLabel(f"<b>{html.escape(kind)}</b>")
        text.addWidget(self.title)
        hint = hint_label(f"{where} · about {size} · certainty {finding.score:.0%}")
        hint.setToolTip(CERTAINTY_NOTE)
        text.addWidget(hint)
        self.effect = QLabel()
        self.effect.setWordWrap(True)
        text.addWidget(self.effect)
        buttons = QHBoxLayout()
        self.confirm = QPushButton("Yes, it is there")
        self.confirm.setCheckable(True)
        self.dismiss = QPushButton("No, dismiss")
        self.dismiss.setCheckable(True)
        self.dismiss.setToolTip("For example a freckle, a mole or a shadow")
        self.confirm.clicked.connect(lambda on: self._choose("confirmed" if on else None))
        self.dismiss.clicked.connect(lambda on: self._choose("dismissed" if on else None))
        buttons.addWidget(self.confirm)
        buttons.addWidget(self.dismiss)
        buttons.addStretch(1)
        text.addLayout(buttons)
        lay.addLayout(text, 1)
        self.setAccessibleName(f"Finding: {kind}, {where}")

    def set_state(self, choice: str | None, effect: str | None, not_counted: str = "") -> None:
        """Show the person's choice and what the finding does to the verdict
        (``"postpone"``, ``"review"`` or ``None``); ``not_counted`` says why it does not count
        (off the skin, away from the treated regions): the row is then greyed."""
        self.not_counted = not_counted
        self.confirm.setChecked(choice == "confirmed")
        self.dismiss.setChecked(choice == "dismissed")
        self.title.setEnabled(not not_counted)
        if choice == "dismissed":
            text, colour = "Dismissed: not counted.", "#5f6368"
        elif not_counted:
            text, colour = f"Not counted: {not_counted}.", "#5f6368"
        elif effect == "postpone":
            text, colour = "This postpones treatment.", "#b3261e"
        elif effect == "review":
            text, colour = "Please look: is it there? Confirm or dismiss it.", "#8a4b00"
        elif choice == "confirmed":
            text, colour = "Confirmed.", "#37474f"
        else:
            text, colour = "", "#37474f"
        self.effect.setText(text)
        self.effect.setStyleSheet(f"color: {colour};")
        self.effect.setVisible(bool(text))

    def _choose(self, choice) -> None:
        self.choice_made.emit(self.finding.id, choice)


class QuestionsForm(QWidget):
    """The protocol questions of :data:`~skintrack.core.questionnaire.QUESTIONS`.

    ``changed(dict)`` carries question id -> answer for the answered ones (the
    :meth:`Answers.to_dict <skintrack.core.questionnaire.Answers.to_dict>` form).
    """

    changed = Signal(dict)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        # Each question above its answer, full width: the questions are sentences, and a form
        # layout's label column squeezes them into narrow wrapped lines.
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        self.inputs: dict[str, QWidget] = {}
        self.labels: dict[str, QLabel] = {}
        self._loading = False
        self.first_session = True
        for question in QUESTIONS:
            widget = self._input_for(question)
            widget.setAccessibleName(question.text)
            label = QLabel(question.text)
            label.setWordWrap(True)
            label.setBuddy(widget)
            lay.addSpacing(6)
            lay.addWidget(label)
            lay.addWidget(widget)
            self.inputs[question.id] = widget
            self.labels[question.id] = label
        self._update_enabled()

    def _input_for(self, question: Question) -> QWidget:
        if question.kind == "number":
            w = QDoubleSpinBox()
            w.setDecimals(2)
            w.setRange(0.0, MAX_PLAUSIBLE_NEEDLE_MM)
            w.setSingleStep(0.05)
            w.setSuffix(f" {question.unit}")
            w.setSpecialValueText("not answered")
            # Typing "0.25" must not save 0.2 first: only Enter, leaving the field or the arrows
            # count as an answer.
            w.setKeyboardTracking(False)
            w.valueChanged.connect(self._emit)
            return w
        w = QComboBox()
        w.addItem("not answered", None)
        if question.kind == "yes_no":
            w.addItem("Yes", True)
            w.addItem("No", False)
        else:
            for c in question.choices:
                w.addItem(CHOICE_LABELS.get(c, c.replace("_", " ")), c)
        w.currentIndexChanged.connect(self._emit)
        return w

    def _raw(self) -> dict:
        out = {}
        for qid, w in self.inputs.items():
            if isinstance(w, QDoubleSpinBox):
                if w.value() > w.minimum():
                    out[qid] = round(w.value(), 2)
            elif w.currentData() is not None:
                out[qid] = w.currentData()
        return out

    def values(self) -> dict:
        """The answers shown, without those to questions that do not apply."""
        raw = self._raw()
        return {qid: v for qid, v in raw.items()
                if applies(qid, raw, first_session=self.first_session)}

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
            self._update_enabled()
        finally:
            self._loading = False

    def answer(self, qid: str, value) -> None:
        """Answer one question as the person would (``None``: not answered)."""
        w = self.inputs[qid]
        if isinstance(w, QDoubleSpinBox):
            w.setValue(w.minimum() if value is None else float(value))
        else:
            i = w.findData(value) if value is not None else 0
            if i < 0:
                raise ValueError(f"{value!r} is not a choice of {qid!r}")
            w.setCurrentIndex(i)

    def set_first_session(self, first: bool) -> None:
        """Whether the beginner question applies (a first session only)."""
        self.first_session = bool(first)
        self._update_enabled()

    def _update_enabled(self) -> None:
        raw = self._raw()
        for qid in (*ROLLER_QUESTIONS, "beginner"):
            ok = applies(qid, raw, first_session=self.first_session)
            self.inputs[qid].setEnabled(ok)
            self.labels[qid].setEnabled(ok)

    def _emit(self, *_args) -> None:
        self._update_enabled()
        if not self._loading:
            self.changed.emit(self.values())


class CheckPage(QWidget):
    """Shows the model's analysis and verdict. Choices are emitted (``finding_choice``,
    ``answers_changed``); the controller saves them and updates the model, which redraws this."""

    #: The person confirmed or dismissed a finding (id, "confirmed" | "dismissed" | None).
    finding_choice = Signal(str, object)
    #: The questionnaire answers changed (question id -> answer, answered ones only).
    answers_changed = Signal(dict)

    def __init__(self, model: AppModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.verdict: Verdict | None = None
        self.verdict_error = ""
        self.rows: list[FindingRow] = []
        self._shown = None  # the analysis the picture and the rows are of

        lay = QVBoxLayout(self)
        lay.addWidget(title_label("Check before treatment"))
        split = QSplitter(Qt.Orientation.Horizontal)
        self.view = ImageView("Take or import a photo to check your skin before treatment.")
        self.view.setAccessibleName("Photo with findings circled")
        self.view.clicked.connect(self._clicked_at)
        split.addWidget(self.view)

        side = QWidget()
        side_lay = QVBoxLayout(side)
        side_lay.setContentsMargins(0, 0, 0, 0)
        # The verdict stays in view while the person scrolls through questions and findings.
        self.banner = Banner()
        side_lay.addWidget(self.banner)

        body = QWidget()
        body_lay = QVBoxLayout(body)
        self.quality_label = hint_label()
        body_lay.addWidget(self.quality_label)
        self.close_up_box = QCheckBox("This photo is a close-up of one patch of skin")
        self.close_up_box.setToolTip(
            "Tick this for a photo of one spot or patch taken up close, with no whole face: the "
            "skin is found by its colour and everything found on it counts.")
        self.close_up_box.toggled.connect(self._close_up_changed)
        body_lay.addWidget(self.close_up_box)
        self.close_up_hint = hint_label()
        body_lay.addWidget(self.close_up_hint)

        body_lay.addWidget(section_label("Areas you will treat"))
        regions, self.region_boxes = region_checkboxes(self._treated_changed)
        body_lay.addLayout(regions)
        self.treated_hint = hint_label()
        body_lay.addWidget(self.treated_hint)

        body_lay.addWidget(section_label("Before you start"))
        self.checklist = Checklist()
        body_lay.addWidget(self.checklist)

        body_lay.addWidget(section_label("Questions"))
        self.questions_hint = hint_label()
        body_lay.addWidget(self.questions_hint)
        self.questions = QuestionsForm()
        self.questions.changed.connect(self.answers_changed.emit)
        body_lay.addWidget(self.questions)

        self.findings_title = section_label("Findings")
        body_lay.addWidget(self.findings_title)
        self.findings_hint = hint_label()
        body_lay.addWidget(self.findings_hint)
        self.findings_box = QVBoxLayout()
        body_lay.addLayout(self.findings_box)
        body_lay.addStretch(1)

        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(body)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        side_lay.addWidget(self.scroll, 1)
        side.setMinimumWidth(400)
        split.addWidget(side)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        lay.addWidget(split, 1)

        model.check_changed.connect(self.refresh)
        model.session_changed.connect(lambda _s: self.refresh())
        model.sessions_changed.connect(self.refresh)  # a first session or not
        self.refresh()

    # --- model -> view ------------------------------------------------------------------------------
    def refresh(self) -> None:
        m = self.model
        a = m.analysis
        for name, box in self.region_boxes.items():
            box.blockSignals(True)
            box.setChecked(name in m.treated)
            # An open session fixes the treated areas (chosen when it was created); a close-up
            # is the patch to be treated.
            box.setEnabled(m.session is None and not m.close_up)
            box.blockSignals(False)
        self.close_up_box.blockSignals(True)
        self.close_up_box.setChecked(m.close_up)
        self.close_up_box.blockSignals(False)
        cu = m.close_up_result if m.close_up else None
        self.close_up_hint.setText("" if cu is None else (
            f"Scale {cu.mm_per_px:.3f} mm per pixel, assumed: the photo's longer side is taken "
            "to span 100 mm (a phone about 10 cm from the skin)." if cu.scale_assumed else
            f"Scale {cu.mm_per_px:.3f} mm per pixel.") + f" Skin found on {cu.skin_share:.0%} "
            "of the photo.")
        self.treated_hint.setText(
            "Set when the session was created." if m.session is not None else
            "None ticked: the whole face is checked." if not m.treated else "")
        self.questions.set_first_session(m.first_session)
        if self.questions.values() != m.answers:
            self.questions.set_values(m.answers)
        self.checklist.set_answers(m.answers, first_session=m.first_session)
        unanswered = len(unanswered_questions(m.answers, first_session=m.first_session))
        self.questions_hint.setText(
            "The protocol's questions: each can postpone treatment."
            + (f" {unanswered} not answered yet." if unanswered > 0 else ""))
        if a is None:
            self.verdict, self.verdict_error = None, ""
            self.banner.set("No photo yet", "Take a photo on the Capture page or import one "
                            "(Ctrl+O) to check your skin before treatment.", "neutral")
            self.quality_label.setText("")
            self._show_findings()
            return
        if (cu.quality if cu is not None else a.quality).ok:
            self.quality_label.setText("Photo quality: good enough to judge.")
        else:
            self.quality_label.setText("The photo has problems (see above): take another one on "
                                       "the Capture page if you can.")
        try:
            self.verdict, self.verdict_error = compute_verdict(m), ""
        except SkintrackError as exc:  # answers the questionnaire refuses: say which
            self.verdict, self.verdict_error = None, str(exc)
        self._show_verdict(unanswered)
        self._show_findings()

    def _show_verdict(self, unanswered: int) -> None:
        v = self.verdict
        if v is None:
            self.banner.set("Cannot decide yet", html.escape(self.verdict_error) + "<br>Change "
                            "the answer below.", "review")
            self.banner.setToolTip("")
            return
        headline, tone = DECISION_TEXT[v.decision]
        if v.reasons:
            body = reasons_html(v)
        else:
            body = html.escape(f"Nothing on the photo or in your answers stands against treating "
                               f"{_where_words(v.treated)}.")
        body += advice_html(v)
        if unanswered > 0:
            them = "them" if unanswered != 1 else "it"
            body += ("<p>" + html.escape(f"{unanswered} question{'s' if unanswered != 1 else ''} "
                                         f"below not answered yet: answer {them} before you "
                                         "start.") + "</p>")
        self.banner.set(headline, body, tone)
        self.banner.setToolTip("\n\n".join(f"{r.text}\nProtocol: “{r.source_sentence}”"
                                           for r in (*v.reasons, *v.advice)))

    def _effects(self) -> dict[str, str]:
        """Finding id -> the most serious decision a reason about it supports."""
        out: dict[str, str] = {}
        for r in self.verdict.reasons if self.verdict is not None else ():
            for fid in r.finding_ids:
                if out.get(fid) != "postpone":
                    out[fid] = r.decision
        return out

    def _show_findings(self) -> None:
        a = self.model.analysis
        findings = self.model.check_findings()
        close_up = self.model.close_up
        if (a, close_up) != self._shown:
            # A new photo: rows are built once per photo, so a click keeps its keyboard focus.
            if self._shown is None or a is not self._shown[0]:
                self.view.set_image(None if a is None else a.photo.rgb)
            self._shown = (a, close_up)
            self._build_rows(a)
        effects = self._effects()
        treated = tuple(self.model.treated)
        circles = []
        for f in findings:
            choice = self.model.finding_choice(f.id)
            counted = not why_not_counted(f, treated, close_up=close_up)
            circles.append(Circle(f.x, f.y, f.radius_px, finding_colour(f, choice, counted),
                                  dashed=choice == "dismissed" or not counted))
        self.view.set_circles(circles)
        for row in self.rows:
            row.set_state(self.model.finding_choice(row.finding.id), effects.get(row.finding.id),
                          why_not_counted(row.finding, treated, close_up=close_up))

    def _build_rows(self, a) -> None:
        for row in self.rows:
            row.setParent(None)
            row.deleteLater()
        self.rows = []
        if a is None:
            self.findings_hint.setText("")
            return
        findings = self.model.check_findings()
        close_up = self.model.close_up
        if not findings:
            self.findings_hint.setText(
                "Nothing was found on the skin." if a.regions or close_up else
                "No face was found, so the skin could not be checked. If this is a close-up of "
                "one patch of skin, tick the box above.")
            return
        # Findings that count first (kinds that postpone treatment leading), then by certainty;
        # those off the skin or away from the treated regions last, greyed.
        treated = tuple(self.model.treated)
        ordered = sorted(findings, key=lambda f: (bool(why_not_counted(f, treated,
                                                                       close_up=close_up)),
                                                  f.kind not in protocol.POSTPONE_KINDS, -f.score))
        shown = ordered[:MAX_FINDING_ROWS]
        more = len(ordered) - len(shown)
        self.findings_hint.setText(
            f"{len(findings)} spot{'s' if len(findings) != 1 else ''} found (red circles: kinds "
            "that postpone treatment; grey dashed: not counted, as they are off the skin or away "
            "from where you treat). Look at each one: confirm it, or dismiss it if it is "
            "something else (a freckle, a mole, a shadow)."
            + (f" The {more} least certain are circled on the photo only." if more > 0 else ""))
        for f in shown:
            row = FindingRow(a.photo.rgb, f)
            row.choice_made.connect(self.finding_choice.emit)
            self.findings_box.addWidget(row)
            self.rows.append(row)

    def row_for(self, finding_id: str) -> FindingRow | None:
        return next((r for r in self.rows if r.finding.id == finding_id), None)

    # --- view -> model ------------------------------------------------------------------------------
    def _close_up_changed(self, on: bool) -> None:
        self.model.set_close_up(on)

    def _treated_changed(self) -> None:
        self.model.set_treated(tuple(n for n, b in self.region_boxes.items() if b.isChecked()))

    def _clicked_at(self, x: float, y: float) -> None:
        """Clicking a circle scrolls its row into view."""
        for row in self.rows:
            f = row.finding
            if (f.x - x) ** 2 + (f.y - y) ** 2 <= max(f.radius_px * 2, 12) ** 2:
                row.confirm.setFocus()
                self.scroll.ensureWidgetVisible(row)
                return
