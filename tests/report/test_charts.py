"""The shared redness chart and the aftercare timeline (Qt-free, drawn on a given Figure or Axes)."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from skintrack.core.protocol import (
    NO_ACIDS_RETINOL_HOURS,
    NO_MAKEUP_SWIM_SUN_HOURS,
    REDNESS_WINDOW_END_HOURS,
    REDNESS_WINDOW_START_HOURS,
)
from skintrack.report.charts import REGION_COLOURS, aftercare_chart, redness_chart

SERIES = {"left_cheek": [(0, 6.0), (1, 3.4), (2, 1.7), (4, 0.5)], "nose": [(0, 0.1), (2, -0.2)]}


def _spans(ax):
    """(x0, x1) of every shaded band drawn by axvspan."""
    out = []
    for p in ax.patches:
        if hasattr(p, "get_width"):  # a Rectangle (matplotlib >= 3.9)
            out.append((float(p.get_x()), float(p.get_x() + p.get_width())))
        elif hasattr(p, "get_xy"):  # a Polygon (older matplotlib)
            xy = np.asarray(p.get_xy())
            out.append((float(xy[:, 0].min()), float(xy[:, 0].max())))
    return out


def test_redness_chart_shades_the_protocol_window_and_draws_each_region():
    fig = Figure()
    ax = redness_chart(
        fig,
        series=SERIES,
        fitted=[(h, 6 * np.exp(-h / 1.5)) for h in range(9)],
        treated=("left_cheek",),
        threshold=0.6,
        now_hours=5.0,
    )
    assert ax.figure is fig
    assert (REDNESS_WINDOW_START_HOURS, REDNESS_WINDOW_END_HOURS) in _spans(ax)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "left cheek" in labels and "nose (untreated)" in labels
    assert "fitted recovery curve" in labels
    assert any("4\u20136 h" in lab for lab in labels)
    colours = {line.get_color() for line in ax.lines}
    assert REGION_COLOURS["left_cheek"] in colours
    lo, hi = ax.get_ylim()
    assert lo < -0.6 and hi > 6.0  # every point and the uncertainty band are in view


def test_per_region_fits_are_drawn_in_region_colours():
    fig = Figure()
    ax = fig.add_subplot()
    fits = {"left_cheek": [(h, 6 * np.exp(-h / 1.5)) for h in range(9)]}
    redness_chart(ax, series=SERIES, fitted=fits, fitted_label="fitted fade")
    fit_lines = [ln for ln in ax.lines if len(ln.get_xdata()) == 9]
    assert len(fit_lines) == 1 and fit_lines[0].get_color() == REGION_COLOURS["left_cheek"]
    assert "fitted fade" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_simulated_chart_says_so_and_empty_chart_says_why():
    ax = redness_chart(Figure(), series=SERIES, simulated=True)
    assert "SIMULATED" in [t.get_text() for t in ax.texts]
    ax = redness_chart(Figure(), series={})
    assert any("no follow-up photos" in t.get_text() for t in ax.texts)


def test_redness_chart_refuses_what_it_cannot_draw():
    with pytest.raises(TypeError):
        redness_chart(object(), series=SERIES)
    with pytest.raises(ValueError):
        redness_chart(Figure(), series=SERIES, window=(6.0, 4.0))


def test_aftercare_chart_bars_end_at_the_protocol_hours():
    ax = aftercare_chart(
        Figure(),
        items=[("no makeup", 0, NO_MAKEUP_SWIM_SUN_HOURS), ("no acids", 0, NO_ACIDS_RETINOL_HOURS)],
        now_hours=6.5,
    )
    ends = sorted(p.get_x() + p.get_width() for p in ax.patches)
    assert ends == [NO_MAKEUP_SWIM_SUN_HOURS, NO_ACIDS_RETINOL_HOURS]
