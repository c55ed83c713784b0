"""The redness chart: one Qt-free matplotlib function shared by the reports and the app.

:func:`redness_chart` draws the change of redness (CIELAB a* against the baseline photo) per region
over hours since treatment, the fitted recovery curve, and the window in which mild redness
"usually subsides" according to the protocol (4 to 6 hours, :mod:`skintrack.core.protocol`). It draws
onto a :class:`matplotlib.figure.Figure` or :class:`matplotlib.axes.Axes` it is given, so the PDF
page, the HTML image and the app's Qt canvas (``app/widgets/chart.py``) show the same picture.

:func:`aftercare_chart` draws the aftercare timeline (24 h and 48 h rules) the same way.

Only plain data goes in (numbers, strings, tuples), never analyses or sessions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from skintrack.core.protocol import REDNESS_WINDOW_END_HOURS, REDNESS_WINDOW_START_HOURS
from skintrack.core.readable import hours_text
from skintrack.words import region_name

#: One colour per region, the same everywhere a region is drawn (colour-blind-safe Okabe-Ito set).
REGION_COLOURS = {
    "forehead": "#E69F00",
    "left_cheek": "#D55E00",
    "right_cheek": "#CC79A7",
    "nose": "#0072B2",
    "chin": "#009E73",
    "perioral": "#56B4E9",
}
WINDOW_COLOUR = "#2E8B57"
FIT_COLOUR = "#222222"
SIMULATED_COLOUR = "#B00020"


def _axes(target):
    """The Axes to draw on: ``target`` itself, or a new single Axes on a Figure."""
    from matplotlib.axes import Axes

    if isinstance(target, Axes):
        return target
    if hasattr(target, "add_subplot"):
        return target.add_subplot(1, 1, 1)
    raise TypeError("redness_chart needs a matplotlib Figure or Axes to draw on")


def redness_chart(
    target,
    *,
    series: Mapping[str, Sequence[tuple[float, float]]],
    fitted: Sequence[tuple[float, float]] | Mapping[str, Sequence[tuple[float, float]]] | None = None,
    fitted_label: str = "fitted recovery curve",
    window: tuple[float, float] = (REDNESS_WINDOW_START_HOURS, REDNESS_WINDOW_END_HOURS),
    threshold: float | None = None,
    treated: Sequence[str] = (),
    now_hours: float | None = None,
    simulated: bool = False,
    title: str | None = None,
    legend: bool = True,
    font_size: float = 8.0,
):
    """Draw redness change per region against hours since treatment.

    Parameters
    ----------
    target : matplotlib.figure.Figure or matplotlib.axes.Axes
        Where to draw. A Figure gets one new Axes; an Axes is drawn on as it is.
    series : mapping of str to sequence of (float, float)
        Region name (``core.regions.REGION_NAMES``) -> points ``(hours since treatment, Δa*)``,
        Δa* in CIELAB a* units against the baseline photo. Points need not be sorted.
    fitted : sequence of (float, float) or mapping of str to such, optional
        The fitted recovery curve as ``(hours, Δa*)`` samples, drawn as one dark line; or one
        fitted curve per region (region -> samples), each drawn in its region's colour while the
        measured points are then joined only faintly.
    fitted_label : str
        Legend text of the fitted curve(s).
    window : (float, float)
        Hours in which mild redness usually subsides (protocol: 4 to 6 h); shaded.
    threshold : float, optional
        The real-change threshold (a* units): a change within ±threshold of zero is not counted
        as real; shaded grey and named as the threshold.
    treated : sequence of str
        Regions that were treated: drawn solid; other regions are drawn dashed and lighter.
    now_hours : float, optional
        Hours since treatment now; drawn as a thin vertical line.
    simulated : bool
        Label the chart SIMULATED (demo data rendered with the redness phantom).
    title : str, optional
        Axes title.
    legend : bool
        Draw a legend under the plot.
    font_size : float
        Base font size in points.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on.
    """
    ax = _axes(target)
    fs = float(font_size)
    start, end = (float(window[0]), float(window[1]))
    if not 0.0 <= start <= end:
        raise ValueError("window must be (start, end) hours with 0 <= start <= end")

    per_region_fit = isinstance(fitted, Mapping)
    fits: dict[str, Sequence[tuple[float, float]]]
    if isinstance(fitted, Mapping):
        fits = dict(fitted)
    else:
        fits = {"": fitted} if fitted else {}
    points = [(float(h), float(v)) for pts in series.values() for h, v in pts]
    for curve in fits.values():
        points += [(float(h), float(v)) for h, v in curve]
    max_h = max([h for h, _ in points] + [end, now_hours or 0.0])
    x_max = max(8.0, max_h * 1.08)
    values = [v for _, v in points] + [0.0]
    if threshold:
        values += [-float(threshold), float(threshold)]
    lo, hi = min(values), max(values)
    pad = max(0.5, 0.12 * (hi - lo))

    ax.axvspan(
        start,
        end,
        color=WINDOW_COLOUR,
        alpha=0.13,
        lw=0,
        label=f"redness usually subsides by {hours_text(start)[:-2]}–{hours_text(end)} (protocol)",
    )
    if threshold:
        t = float(threshold)
        ax.axhspan(
            -t, t, color="#888888", alpha=0.15, lw=0, label=f"within the real-change threshold (±{t:.1f})"
        )
    ax.axhline(0.0, color="#555555", lw=0.8)

    treated_set = set(treated)
    for name, pts in series.items():
        if not pts:
            continue
        pts = sorted((float(h), float(v)) for h, v in pts)
        is_treated = not treated_set or name in treated_set
        label = region_name(name)
        if treated_set and not is_treated:
            label += " (untreated)"
        colour = REGION_COLOURS.get(name, "#777777")
        line_alpha = (1.0 if is_treated else 0.6) * (0.35 if name in fits else 1.0)
        ax.plot(
            [h for h, _ in pts],
            [v for _, v in pts],
            color=colour,
            lw=1.6 if is_treated else 1.0,
            ls="-" if is_treated else "--",
            alpha=line_alpha,
        )
        ax.plot(
            [h for h, _ in pts],
            [v for _, v in pts],
            ls="none",
            color=colour,
            alpha=1.0 if is_treated else 0.6,
            marker="o",
            ms=3.5 if is_treated else 2.5,
            label=label,
        )
    for name, curve in fits.items():
        if not curve:
            continue
        fit = sorted((float(h), float(v)) for h, v in curve)
        colour = REGION_COLOURS.get(name, FIT_COLOUR) if per_region_fit else FIT_COLOUR
        ax.plot(
            [h for h, _ in fit],
            [v for _, v in fit],
            color=colour,
            lw=2.0,
            ls="-",
            alpha=0.9,
            zorder=5,
            label=None if per_region_fit else fitted_label,
        )
    if per_region_fit and any(fits.values()):
        # One legend entry for all the per-region lines: a neutral line, "lines = fitted".
        ax.plot([], [], color=FIT_COLOUR, lw=2.0, label=fitted_label)
    if now_hours is not None:
        ax.axvline(float(now_hours), color="#333333", lw=0.8, ls=":")
        ax.annotate(
            "now",
            (float(now_hours), 0.0),
            xycoords=("data", "axes fraction"),
            xytext=(2, 2),
            textcoords="offset points",
            va="bottom",
            fontsize=fs - 1,
        )

    ax.set_xlim(0.0, x_max)
    ax.set_ylim(lo - pad, hi + pad)
    ax.set_xlabel("hours since treatment", fontsize=fs)
    ax.set_ylabel("redness change Δa* (CIELAB)", fontsize=fs)
    ax.tick_params(labelsize=fs - 1)
    ax.grid(True, color="#dddddd", lw=0.5)
    ax.set_axisbelow(True)
    if title:
        ax.set_title(title, fontsize=fs + 1, loc="left")
    if simulated:
        ax.text(
            0.99,
            0.97,
            "SIMULATED",
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize=fs + 2,
            fontweight="bold",
            color=SIMULATED_COLOUR,
            alpha=0.85,
        )
    if not points:
        ax.text(
            0.5,
            0.5,
            "no follow-up photos yet",
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontsize=fs,
            color="#666666",
        )
    if legend:
        handles, labels = ax.get_legend_handles_labels()
        if handles:
            ax.legend(
                handles,
                labels,
                fontsize=fs - 1,
                loc="upper center",
                ncol=4,
                bbox_to_anchor=(0.5, -0.16),
                frameon=False,
                handlelength=1.8,
                columnspacing=1.2,
            )
    return ax


def aftercare_chart(
    target,
    *,
    items: Sequence[tuple[str, float, float]],
    now_hours: float | None = None,
    treated_at: datetime | None = None,
    font_size: float = 8.0,
):
    """Draw the aftercare timeline as horizontal bars over hours since treatment.

    Parameters
    ----------
    target : matplotlib.figure.Figure or matplotlib.axes.Axes
        Where to draw.
    items : sequence of (str, float, float)
        ``(label, start hours, end hours)`` per rule, hours since treatment start.
    now_hours : float, optional
        Hours since treatment now; drawn as a vertical line.
    treated_at : datetime, optional
        Treatment start; when given, the axis also names the day boundaries.
    font_size : float
        Base font size in points.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(target)
    fs = float(font_size)
    items = list(items)
    end = max([e for _, _, e in items] + [now_hours or 0.0, 1.0])
    palette = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00")
    for i, (label, s, e) in enumerate(items):
        y = len(items) - 1 - i
        ax.barh(
            y,
            float(e) - float(s),
            left=float(s),
            height=0.55,
            color=palette[i % len(palette)],
            alpha=0.8,
            zorder=1.0,
        )
        ax.text(
            float(s) + 0.5, y, label, va="center", ha="left", fontsize=fs, color="white", fontweight="bold"
        )
        ax.text(
            float(e) + 0.5,
            y,
            f"until {hours_text(e)}",
            va="center",
            ha="left",
            fontsize=fs - 1,
            color="#333333",
        )
    if now_hours is not None:
        # Under the bars (zorder below theirs): the line shows between them, never across a
        # bar's words; its label sits above the axes, clear of the top bar.
        ax.axvline(float(now_hours), color="#333333", lw=1.0, ls=":", zorder=0.5)
        ax.annotate(
            "now",
            (float(now_hours), 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(0, 1),
            textcoords="offset points",
            va="bottom",
            ha="center",
            fontsize=fs - 1,
            annotation_clip=False,
        )
    ax.set_yticks([])
    ax.set_xlim(0, end * 1.18)
    ax.set_ylim(-0.6, len(items) - 0.4)
    step = 6 if end <= 48 else 12
    ax.set_xticks([t for t in range(0, int(end * 1.18) + 1, step)])
    ax.tick_params(labelsize=fs - 1)
    label = "hours since treatment"
    if treated_at is not None:
        label += f" (0 h = {treated_at:%d %b %Y %H:%M})"
    ax.set_xlabel(label, fontsize=fs)
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.grid(True, axis="x", color="#dddddd", lw=0.5)
    ax.set_axisbelow(True)
    return ax
