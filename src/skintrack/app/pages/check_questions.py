"""The check page's questions: the protocol questions as a form (:class:`QuestionsForm`) and
the checklist before treatment ticked from the answers (:class:`Checklist`)."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QLabel, QVBoxLayout, QWidget

from skintrack.app.pages.common import hint_label
from skintrack.core.questionnaire import (
    CHECKLIST,
    CHECKLIST_CLOSING,
    MAX_PLAUSIBLE_NEEDLE_MM,
    QUESTIONS,
    ROLLER_QUESTIONS,
    Question,
    applies,
    checklist_state,
    unanswered,
)
from skintrack.words import choice_title

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
                f"font-style:italic; color:#5f6368'>{sentences}</span>"
            )


def unanswered_questions(answers: dict, *, first_session: bool = True) -> list[str]:
    """Ids of the questions that apply and are not answered (the verdict is not GO while there
    are any: :func:`skintrack.core.questionnaire.unanswered`)."""
    return list(unanswered(answers, first_session=first_session))


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
                w.addItem(choice_title(c), c)
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
        return {qid: v for qid, v in raw.items() if applies(qid, raw, first_session=self.first_session)}

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
