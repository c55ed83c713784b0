"""Check page: the photo with findings circled, zoomed crops to confirm or dismiss, the protocol
questions, and the GO / REVIEW / POSTPONE verdict with its reasons and protocol sentences.

The verdict is :func:`skintrack.core.verdict.decide` over the model's analysis, the person's
confirm/dismiss choices, their answers to :data:`skintrack.core.questionnaire.QUESTIONS` and the
treated regions, recomputed on the GUI thread whenever one of them changes: it is a few comparisons
over a short list, far below a frame's time. The controller saves the choices and answers with the
open session (``skintrack.tracking``); this page only shows them and emits what the person does.

The finding rows live in :mod:`.check_findings`, the questions and the checklist in
:mod:`.check_questions`.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from skintrack.app.model import AppModel
from skintrack.app.pages.check_findings import MAX_FINDING_ROWS, FindingRowWidget, finding_colour
from skintrack.app.pages.check_questions import Checklist, QuestionsForm, unanswered_questions
from skintrack.app.pages.common import (
    Banner,
    hint_label,
    region_checkboxes,
    section_label,
    title_label,
)
from skintrack.app.widgets.image_view import Circle, ImageView
from skintrack.core import protocol
from skintrack.core.errors import SkintrackError
from skintrack.core.questionnaire import Answers
from skintrack.core.verdict import Verdict, decide, why_not_counted
from skintrack.words import DECISION_WORDS, decision_headline, region_name

#: The banner per decision: its headline (skintrack.words) and its tone.
DECISION_TEXT = {d: (decision_headline(d), d) for d in DECISION_WORDS}


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
    # The person's answers and choices weigh the same on a face and on a close-up.
    choices = {
        "answers": model_answers(model),
        "dismissed": frozenset(model.dismissed),
        "confirmed": frozenset(model.confirmed),
        "first_session": model.first_session,
    }
    if cu is not None:
        return decide(list(cu.findings), cu.quality, mm_per_px=cu.mm_per_px, close_up=True, **choices)
    face = a.detection.face
    return decide(
        list(a.findings),
        a.quality,
        treated=tuple(model.treated),
        mm_per_px=face.mm_per_px if face else None,
        **choices,
    )


def reasons_html(verdict: Verdict) -> str:
    """The reasons as a list, each followed by the protocol sentence it applies (a sentence
    already quoted for an earlier reason is not repeated)."""
    quoted: set[str] = set()
    items = []
    for r in verdict.reasons:
        item = html.escape(r.text)
        if r.source_sentence not in quoted:
            quoted.add(r.source_sentence)
            item += (
                "<br><span style='font-size:small; font-style:italic'>Protocol: “"
                f"{html.escape(r.source_sentence)}”</span>"
            )
        items.append(f"<li style='margin-bottom:4px'>{item}</li>")
    return "<ul style='margin-left:-20px'>" + "".join(items) + "</ul>"


def advice_html(verdict: Verdict) -> str:
    """The verdict's advice (it does not change the decision), each with its protocol sentence."""
    if not verdict.advice:
        return ""
    items = "".join(
        f"<li style='margin-bottom:4px'>{html.escape(n.text)}<br><span style='font-size:small; "
        f"font-style:italic'>Protocol: “{html.escape(n.source_sentence)}”</span></li>"
        for n in verdict.advice
    )
    return "<p><b>Advice</b></p><ul style='margin-left:-20px'>" + items + "</ul>"


def _where_words(treated) -> str:
    if not treated:
        return "the whole face"
    return ", ".join(region_name(t) for t in treated) + " and the skin next to them"


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
        self.rows: list[FindingRowWidget] = []
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
            "skin is found by its colour and everything found on it counts."
        )
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
        self.close_up_hint.setText(
            ""
            if cu is None
            else (
                f"Scale {cu.mm_per_px:.3f} mm per pixel, assumed: the photo's longer side is taken "
                "to span 100 mm (a phone about 10 cm from the skin)."
                if cu.scale_assumed
                else f"Scale {cu.mm_per_px:.3f} mm per pixel."
            )
            + f" Skin found on {cu.skin_share:.0%} "
            "of the photo."
        )
        self.treated_hint.setText(
            "Set when the session was created."
            if m.session is not None
            else "None ticked: the whole face is checked."
            if not m.treated
            else ""
        )
        self.questions.set_first_session(m.first_session)
        if self.questions.values() != m.answers:
            self.questions.set_values(m.answers)
        self.checklist.set_answers(m.answers, first_session=m.first_session)
        unanswered = len(unanswered_questions(m.answers, first_session=m.first_session))
        self.questions_hint.setText(
            "The protocol's questions: each can postpone treatment."
            + (f" {unanswered} not answered yet." if unanswered > 0 else "")
        )
        if a is None:
            self.verdict, self.verdict_error = None, ""
            self.banner.set(
                "No photo yet",
                "Take a photo on the Capture page or import one "
                "(Ctrl+O) to check your skin before treatment.",
                "neutral",
            )
            self.quality_label.setText("")
            self._show_findings()
            return
        if (cu.quality if cu is not None else a.quality).ok:
            self.quality_label.setText("Photo quality: good enough to judge.")
        else:
            self.quality_label.setText(
                "The photo has problems (see above): take another one on the Capture page if you can."
            )
        try:
            self.verdict, self.verdict_error = compute_verdict(m), ""
        except SkintrackError as exc:  # answers the questionnaire refuses: say which
            self.verdict, self.verdict_error = None, str(exc)
        self._show_verdict(unanswered)
        self._show_findings()

    def _show_verdict(self, unanswered: int) -> None:
        v = self.verdict
        if v is None:
            self.banner.set(
                "Cannot decide yet",
                html.escape(self.verdict_error) + "<br>Change the answer below.",
                "review",
            )
            self.banner.setToolTip("")
            return
        headline, tone = DECISION_TEXT[v.decision]
        if v.reasons:
            body = reasons_html(v)
        else:
            body = html.escape(
                f"Nothing on the photo or in your answers stands against treating {_where_words(v.treated)}."
            )
        body += advice_html(v)
        if unanswered > 0:
            them = "them" if unanswered != 1 else "it"
            body += (
                "<p>"
                + html.escape(
                    f"{unanswered} question{'s' if unanswered != 1 else ''} "
                    f"below not answered yet: answer {them} before you "
                    "start."
                )
                + "</p>"
            )
        self.banner.set(headline, body, tone)
        self.banner.setToolTip(
            "\n\n".join(f"{r.text}\nProtocol: “{r.source_sentence}”" for r in (*v.reasons, *v.advice))
        )

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
            circles.append(
                Circle(
                    f.x,
                    f.y,
                    f.radius_px,
                    finding_colour(f, choice, counted),
                    dashed=choice == "dismissed" or not counted,
                )
            )
        self.view.set_circles(circles)
        for row in self.rows:
            row.set_state(
                self.model.finding_choice(row.finding.id),
                effects.get(row.finding.id),
                why_not_counted(row.finding, treated, close_up=close_up),
            )

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
                "Nothing was found on the skin."
                if a.regions or close_up
                else "No face was found, so the skin could not be checked. If this is a close-up of "
                "one patch of skin, tick the box above."
            )
            return
        # Findings that count first (kinds that postpone treatment leading), then by certainty;
        # those off the skin or away from the treated regions last, greyed.
        treated = tuple(self.model.treated)
        ordered = sorted(
            findings,
            key=lambda f: (
                bool(why_not_counted(f, treated, close_up=close_up)),
                f.kind not in protocol.POSTPONE_KINDS,
                -f.score,
            ),
        )
        shown = ordered[:MAX_FINDING_ROWS]
        more = len(ordered) - len(shown)
        self.findings_hint.setText(
            f"{len(findings)} spot{'s' if len(findings) != 1 else ''} found (red circles: kinds "
            "that postpone treatment; grey dashed: not counted, as they are off the skin or away "
            "from where you treat). Look at each one: confirm it, or dismiss it if it is "
            "something else (a freckle, a mole, a shadow)."
            + (f" The {more} least certain are circled on the photo only." if more > 0 else "")
        )
        for f in shown:
            row = FindingRowWidget(a.photo.rgb, f)
            row.choice_made.connect(self.finding_choice.emit)
            self.findings_box.addWidget(row)
            self.rows.append(row)

    def row_for(self, finding_id: str) -> FindingRowWidget | None:
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
