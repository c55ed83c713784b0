"""The redness chart on screen: matplotlib's Qt canvas around
:func:`skintrack.report.charts.redness_chart`.

matplotlib takes about half a second to import, more than the rest of the window together, so the
canvas is created on the first :meth:`ChartView.plot`, not with the window (the app warms the
import up on the task thread right after the window is shown).
"""

from __future__ import annotations

from PySide6.QtWidgets import QSizePolicy, QVBoxLayout, QWidget

#: Width of one legend column under the chart, pixels: as many columns as fit the width.
LEGEND_COLUMN_PX = 300


def warm_up() -> None:
    """Import matplotlib's figure and Agg renderer (safe on any thread; Qt parts come later)."""
    import matplotlib.backends.backend_agg  # noqa: F401
    import matplotlib.figure  # noqa: F401


class ChartView(QWidget):
    """A widget that redraws the redness chart from plain data."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumHeight(220)
        self.setAccessibleName("Redness change chart")
        self.canvas = None
        self.figure = None
        self.axes = None
        self.legend = None
        self._data: dict | None = None

    def legend_columns(self) -> int:
        """Legend columns that fit the chart's width (its entries are never cut off)."""
        width = self.canvas.width() if self.canvas is not None else self.width()
        return max(1, int(width // LEGEND_COLUMN_PX))

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        if self._data is not None and self.legend is not None and self.legend._ncols != self.legend_columns():
            self.plot(**self._data)

    def _ensure_canvas(self) -> None:
        if self.canvas is not None:
            return
        from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
        from matplotlib.figure import Figure

        class _Canvas(FigureCanvasQTAgg):
            def draw(self) -> None:
                # A hidden page has no size yet; matplotlib then warns that the constrained
                # layout collapsed. It lays out again once shown, so the warning says nothing.
                import warnings

                with warnings.catch_warnings():
                    warnings.filterwarnings("ignore", "constrained_layout not applied", UserWarning)
                    super().draw()

        self.figure = Figure(figsize=(6.4, 3.6), dpi=100, layout="constrained")
        self.canvas = _Canvas(self.figure)
        self.canvas.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._layout.addWidget(self.canvas)

    def plot(self, **data) -> None:
        """Redraw with :func:`skintrack.report.charts.redness_chart` keyword data."""
        from skintrack.report.charts import redness_chart

        self._ensure_canvas()
        self._data = dict(data)
        self.figure.clear()
        data.setdefault("font_size", 9.0)
        # The legend goes under the plot, outside the axes, as a figure legend: the constrained
        # layout then gives the plot the full width and takes the legend's rows off its height
        # (beside the plot, it took a third of the width of a narrow window).
        self.axes = redness_chart(self.figure, legend=False, **data)
        handles, labels = self.axes.get_legend_handles_labels()
        self.legend = None
        if handles:
            self.legend = self.figure.legend(
                handles,
                labels,
                fontsize=8,
                loc="outside lower center",
                ncol=self.legend_columns(),
                frameon=False,
                handlelength=1.6,
                columnspacing=1.2,
            )
        self.canvas.draw_idle()

    def clear(self) -> None:
        self.axes = None
        self.legend = None
        self._data = None
        if self.canvas is not None:
            self.figure.clear()
            self.canvas.draw_idle()
