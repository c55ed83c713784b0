"""The redness chart on screen: matplotlib's Qt canvas around
:func:`skintrack.report.charts.redness_chart`."""

from __future__ import annotations

from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from PySide6.QtWidgets import QSizePolicy


class ChartCanvas(FigureCanvasQTAgg):
    """A matplotlib canvas that redraws the redness chart from plain data."""

    def __init__(self, parent=None) -> None:
        self.figure = Figure(figsize=(6.4, 3.6), dpi=100, layout="constrained")
        super().__init__(self.figure)
        self.setParent(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumHeight(220)
        self.setAccessibleName("Redness change chart")
        self.axes = None

    def draw(self) -> None:
        # A hidden page has no size yet; matplotlib then warns that the constrained layout
        # collapsed. It lays out again once shown, so the warning says nothing useful.
        import warnings

        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "constrained_layout not applied", UserWarning)
            super().draw()

    def plot(self, **data) -> None:
        """Redraw with :func:`skintrack.report.charts.redness_chart` keyword data."""
        from skintrack.report.charts import redness_chart

        self.figure.clear()
        self.axes = redness_chart(self.figure, **data)
        self.draw_idle()
