"""Pieces of a :class:`~skintrack.report.model.ReportModel` from analyses held in memory.

These helpers turn what core computes (an :class:`~skintrack.core.analysis.Analysis`, region
changes, lesion findings) into display data: a face crop of a fixed 4:5 shape, the change map over
the same area, a measurement row per region, close-ups of findings. :mod:`skintrack.report.build`
uses them for stored sessions; tests and benchmarks use them directly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from skintrack.core.crops import finding_crop
from skintrack.core.protocol import (
    NO_ACIDS_RETINOL_HOURS,
    NO_MAKEUP_SWIM_SUN_HOURS,
    SRC_AFTERCARE,
)
from skintrack.core.regions import REGION_NAMES
from skintrack.report.images import crop, fit
from skintrack.report.model import (
    FINDING_REGIONS,
    AftercareItem,
    FindingEntry,
    RednessCurve,
    RegionMeasurement,
    ReportPhoto,
)

#: Shape of every displayed face (width / height) and the most pixels the model keeps of one.
DISPLAY_ASPECT = 4 / 5
DISPLAY_PX = (480, 600)
CROP_PX = (200, 200)
#: Face box growth on each side, as a fraction of its larger side: forehead and chin stay in view.
FACE_MARGIN = 0.10

TAKEN_AT_NOTES = {
    "file_time": "approximate: file time",
    "unknown": "time unknown",
    "exif_local": "camera clock",
    "given": "time given by you",
}


def display_transform(box: Sequence[float], size: tuple[int, int] = DISPLAY_PX) -> np.ndarray:
    """The 2x3 affine map from photo pixels to the display image of a face with this box.

    The box (x0, y0, x1, y1, photo pixels) is grown by :data:`FACE_MARGIN` and widened or
    heightened to :data:`DISPLAY_ASPECT`, then scaled to ``size`` (width, height).
    """
    x0, y0, x1, y1 = (float(v) for v in box)
    if not (x1 > x0 and y1 > y0):
        raise ValueError("a face box needs x1 > x0 and y1 > y0")
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    grow = FACE_MARGIN * max(x1 - x0, y1 - y0)
    bw, bh = x1 - x0 + 2 * grow, y1 - y0 + 2 * grow
    aspect = size[0] / size[1]
    if bw / bh < aspect:
        bw = bh * aspect
    else:
        bh = bw / aspect
    s = size[0] / bw
    return np.array([[s, 0.0, -s * (cx - bw / 2)], [0.0, s, -s * (cy - bh / 2)]], np.float64)


def similarity(src_xy: np.ndarray, dst_xy: np.ndarray) -> np.ndarray:
    """The 2x3 similarity (rotation, uniform scale, shift) taking face landmarks ``src_xy`` onto
    ``dst_xy`` (least squares over the 468 mesh points): how a later photo lines up with the
    baseline for display. The redness map itself comes from core's mesh warp."""
    import cv2

    src = np.ascontiguousarray(np.asarray(src_xy, np.float32)[:468])
    dst = np.ascontiguousarray(np.asarray(dst_xy, np.float32)[:468])
    m, _ = cv2.estimateAffinePartial2D(src, dst, method=cv2.LMEDS)
    if m is None:
        raise ValueError("the faces could not be lined up")
    return m.astype(np.float64)


def warp_for_display(
    rgb: np.ndarray,
    transform: np.ndarray,
    size: tuple[int, int] = DISPLAY_PX,
    *,
    onto: np.ndarray | None = None,
) -> np.ndarray:
    """``rgb`` resampled through ``transform`` (its pixels -> display pixels) into a ``size`` image.

    Only the part of ``rgb`` the display shows is read; large reductions first shrink that part by
    a whole factor with area averaging, so a 12 MP photo neither aliases nor costs a full-image
    resize. With ``onto`` (a display image), pixels ``rgb`` does not cover keep ``onto``'s.
    """
    import cv2

    m = np.vstack([np.asarray(transform, np.float64)[:2], [0.0, 0.0, 1.0]])
    h, w = rgb.shape[:2]
    # The source rectangle the display needs, with a few pixels for interpolation.
    inv = np.linalg.inv(m)
    corners = np.array([[0, 0, 1], [size[0], 0, 1], [0, size[1], 1], [size[0], size[1], 1]], float)
    src = corners @ inv.T
    scale = float(np.sqrt(abs(np.linalg.det(m[:2, :2]))))
    k = int(1.0 / scale) if scale < 0.5 else 1
    pad = 2 * k + 2
    x0 = int(np.clip(np.floor(src[:, 0].min()) - pad, 0, w))
    y0 = int(np.clip(np.floor(src[:, 1].min()) - pad, 0, h))
    x1 = int(np.clip(np.ceil(src[:, 0].max()) + pad, 0, w))
    y1 = int(np.clip(np.ceil(src[:, 1].max()) + pad, 0, h))
    if x1 - x0 < 2 or y1 - y0 < 2:  # the display shows none of it
        return onto.copy() if onto is not None else np.full((size[1], size[0], 3), 235, np.uint8)
    part = rgb[y0:y1, x0:x1]
    m = m @ np.array([[1.0, 0.0, x0], [0.0, 1.0, y0], [0.0, 0.0, 1.0]])
    if k > 1:
        ph, pw = part.shape[:2]
        part = cv2.resize(part, (max(1, pw // k), max(1, ph // k)), interpolation=cv2.INTER_AREA)
        m = m @ np.diag([pw / part.shape[1], ph / part.shape[0], 1.0])
    if onto is not None:
        out = np.ascontiguousarray(onto).copy()
        cv2.warpAffine(part, m[:2], size, dst=out, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_TRANSPARENT)
        return out
    return cv2.warpAffine(
        part, m[:2], size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=(235, 235, 235)
    )


def _grid(origin: tuple[int, int], step: float = 1.0) -> np.ndarray:
    """Map pixels -> photo pixels for a map whose pixel (0, 0) is photo ``origin``, ``step`` apart."""
    s = float(step)
    return np.array([[s, 0.0, float(origin[0])], [0.0, s, float(origin[1])], [0.0, 0.0, 1.0]])


def display_image(rgb: np.ndarray, box: Sequence[float] | None) -> np.ndarray:
    """The 4:5 face crop of ``rgb`` around ``box`` (whole photo when None), reduced for display."""
    if box is None:
        h, w = rgb.shape[:2]
        return fit(crop(rgb, (0, 0, w, h), aspect=DISPLAY_ASPECT), *DISPLAY_PX)
    return warp_for_display(rgb, display_transform(box))


def regions_outline(
    analysis,
    treated: Sequence[str] = (),
    *,
    transform: np.ndarray | None = None,
    onto: np.ndarray | None = None,
) -> np.ndarray | None:
    """The photo with each measured region outlined in its chart colour (treated regions thicker,
    untreated ones thin): where the numbers come from. None without regions.

    With ``transform`` (photo -> display pixels, 2x3) and ``onto`` (that display image), the
    outlines are drawn on a copy of ``onto`` instead of on the whole photo.
    """
    import cv2

    from skintrack.report.charts import REGION_COLOURS

    regions = analysis.regions
    if regions is None or analysis.face is None:
        return None
    if transform is not None and onto is not None:
        out = np.ascontiguousarray(onto).copy()
        m = np.asarray(transform, np.float64)[:2]
        scale = float(np.sqrt(abs(np.linalg.det(m[:, :2]))))
    else:
        out = analysis.photo.rgb.copy()
        m, scale = None, 1.0
    width = max(1, int(round(analysis.face.width_px * scale / 140)))
    for name in REGION_NAMES:
        hexc = REGION_COLOURS[name].lstrip("#")
        colour = tuple(int(hexc[i : i + 2], 16) for i in (0, 2, 4))
        poly = np.asarray(regions[name].polygon, np.float64)
        if m is not None:
            poly = poly @ m[:, :2].T + m[:, 2]
        pts = np.round(poly).astype(np.int32).reshape(-1, 1, 2)
        thick = width * 2 if name in treated else width
        cv2.polylines(out, [pts], True, colour, thick, lineType=cv2.LINE_AA)
    return out


def _get(obj: object, name: str, default: object = None) -> Any:
    """A field of a region change that not every kind of change has (``later_a_star``, ...)."""
    return getattr(obj, name, default)


def measurements(
    analysis=None, changes: Mapping[str, object] | None = None, a_star: Mapping[str, float] | None = None
) -> tuple[RegionMeasurement, ...]:
    """One :class:`RegionMeasurement` per region, in :data:`REGION_NAMES` order.

    Parameters
    ----------
    analysis : Analysis, optional
        Gives each region's median a* (CIELAB, usable skin).
    changes : mapping, optional
        Region -> change against the baseline: an object with ``delta_a_star``,
        ``uncertainty``, ``real_change`` and optionally ``grade``, ``delta_erythema_index``,
        ``later_a_star`` (``core.compare.RegionChange``, ``tracking.RegionReading``).
    a_star : mapping, optional
        Region -> a* when there is no analysis at hand (a stored record).
    """
    out = []
    changes = changes or {}
    for name in REGION_NAMES:
        a = None
        if analysis is not None and analysis.regions is not None:
            lab = analysis.regions[name].lab_median
            a = float(lab[1]) if lab else None
        if a is None and a_star is not None and a_star.get(name) is not None:
            a = float(a_star[name])
        ch = changes.get(name)
        if a is None and ch is not None and _get(ch, "later_a_star") is not None:
            a = float(_get(ch, "later_a_star"))
        if a is None and ch is None:
            continue
        d = _get(ch, "delta_a_star") if ch is not None else None
        u = _get(ch, "uncertainty") if ch is not None else None
        real = _get(ch, "real_change") if ch is not None else None
        dei = _get(ch, "delta_erythema_index") if ch is not None else None
        out.append(
            RegionMeasurement(
                region=name,
                a_star=a,
                delta_a_star=None if d is None else float(d),
                delta_erythema_index=None if dei is None else float(dei),
                uncertainty=None if u is None else float(u),
                real_change=None if real is None else bool(real),
                grade=str(_get(ch, "grade", "") or "") if ch is not None else "",
            )
        )
    return tuple(out)


def photo_entry(
    analysis,
    *,
    id: str,
    label: str,
    role: str,
    hours: float | None = None,
    simulated: bool = False,
    image_rgb: np.ndarray | None = None,
    box: Sequence[float] | None = None,
    delta_map: np.ndarray | None = None,
    changes: Mapping[str, object] | None = None,
    notes: Sequence[str] = (),
    used_in_curve: bool = True,
    taken_at: datetime | None = None,
    taken_at_source: str | None = None,
    delta_map_origin: tuple[int, int] = (0, 0),
    delta_map_step: float = 1.0,
    align_to=None,
    baseline_image: np.ndarray | None = None,
    outline: Sequence[str] | None = None,
) -> ReportPhoto:
    """A :class:`ReportPhoto` from one analysed photo.

    Parameters
    ----------
    analysis : Analysis
        The photo's analysis (photo, face, regions, quality).
    id, label, role : str
        Short id ("P3"), label ("Follow-up"), role ("baseline", "check", "follow_up").
    hours : float, optional
        Hours since treatment start (negative before treatment).
    simulated : bool
        The photo was rendered by the redness phantom.
    image_rgb : ndarray, optional
        What to show instead of the photo itself, in the coordinates of ``box`` (e.g. the photo
        warped onto the baseline). Defaults to the analysed photo.
    box : sequence of float, optional
        Face box (x0, y0, x1, y1 pixels) to crop around; defaults to the analysed face's box.
    delta_map : ndarray, optional
        The redness-change map over the photo (over the baseline with ``align_to``), or over part
        of it whose top-left pixel is ``delta_map_origin`` (x, y); outside that part the display
        shows the photo itself.
    delta_map_origin : (int, int)
        Photo pixel of ``delta_map``'s top-left corner.
    delta_map_step : float
        Photo pixels per ``delta_map`` pixel (a map made at work-grid resolution).
    changes : mapping, optional
        Region changes against the baseline (see :func:`measurements`).
    notes : sequence of str
        Sentences shown with the photo (comparison warnings, why it was not compared).
    used_in_curve : bool
        Whether the photo is a point of the redness curve.
    taken_at, taken_at_source : optional
        Override the photo's own capture time (e.g. the time a stored session records).
    align_to : Analysis, optional
        The baseline: the photo is shown lined up with it (same framing, scale and tilt) and
        ``delta_map``, which lies over the baseline photo, is cropped with the baseline's framing.
    baseline_image : ndarray, optional
        The baseline's own display image (its ``ReportPhoto.image``), to save making it again.
    outline : sequence of str, optional
        Draw the measured regions on a copy of the photo (``regions_image``), these ones (the
        treated regions) thicker.
    """
    photo = analysis.photo
    rgb = photo.rgb if image_rgb is None else image_rgb
    base_face = align_to.face if align_to is not None else None
    face = analysis.face
    if base_face is not None and face is not None and image_rgb is None:
        to_display = np.vstack([display_transform(base_face.box), [0.0, 0.0, 1.0]])
        line_up = np.vstack([similarity(face.xy, base_face.xy), [0.0, 0.0, 1.0]])
        image = warp_for_display(rgb, to_display @ line_up)
        dmap = None
        if delta_map is not None:
            under = (
                baseline_image
                if baseline_image is not None
                else warp_for_display(align_to.photo.rgb, to_display)
            )
            dmap = warp_for_display(
                delta_map, to_display @ _grid(delta_map_origin, delta_map_step), onto=under
            )
    else:
        if box is None and face is not None:
            box = face.box
        image = display_image(rgb, box)
        dmap = None
        if delta_map is not None:
            box_to_display = np.vstack([display_transform(box), [0.0, 0.0, 1.0]]) if box is not None else None
            whole = delta_map_origin == (0, 0) and delta_map_step == 1
            if box_to_display is None or whole and delta_map.shape == rgb.shape:
                dmap = display_image(delta_map, box)
            else:
                dmap = warp_for_display(
                    delta_map, box_to_display @ _grid(delta_map_origin, delta_map_step), onto=image
                )
    regions_image = None
    if outline is not None and image_rgb is None and align_to is None:
        if box is not None:
            regions_image = regions_outline(
                analysis, tuple(outline), transform=display_transform(box), onto=image
            )
        else:
            drawn = regions_outline(analysis, tuple(outline))
            regions_image = display_image(drawn, None) if drawn is not None else None
    source = taken_at_source or photo.taken_at_source
    return ReportPhoto(
        id=id,
        label=label,
        role=role,
        image=image,
        delta_map=dmap,
        taken_at=taken_at or photo.taken_at,
        taken_at_note=TAKEN_AT_NOTES.get(source, ""),
        hours_since_treatment=None if hours is None else float(hours),
        simulated=simulated,
        quality_problems=tuple(p.message for p in analysis.quality.problems),
        measurements=measurements(analysis, changes),
        notes=tuple(notes),
        used_in_curve=used_in_curve,
        regions_image=regions_image,
    )


def finding_entries(
    analysis, photo_id: str, *, states: Mapping[str, str] | None = None, prefix: str = "F"
) -> tuple[FindingEntry, ...]:
    """The findings of one analysed photo, with close-ups and the person's decisions.

    ``states`` maps a finding's own id to "confirmed" or "dismissed"; others are "open". Report ids
    are ``prefix`` + photo id + the finding's id, unique across the report.
    """
    states = states or {}
    face = analysis.face
    fw = face.width_px if face is not None else min(analysis.photo.rgb.shape[:2])
    out = []
    for f in analysis.findings:
        fid = str(_get(f, "id"))
        x, y = float(_get(f, "x")), float(_get(f, "y"))
        r = float(_get(f, "radius_px", 0.0) or 0.0)
        region = _get(f, "region")
        out.append(
            FindingEntry(
                id=f"{prefix}{photo_id.lstrip('P')}.{fid}",
                kind=str(_get(f, "kind")),
                photo_id=photo_id,
                region=region if region in FINDING_REGIONS else None,
                diameter_mm=_get(f, "diameter_mm"),
                score=_get(f, "score"),
                state=states.get(fid, "open"),
                crop=finding_crop(analysis.photo.rgb, x, y, r, fw, size=CROP_PX[0]),
            )
        )
    return tuple(out)


def curve_from_photos(
    photos: Sequence[ReportPhoto],
    *,
    fitted: Sequence[tuple[float, float]] = (),
    fitted_label: str = "fitted recovery curve",
    threshold: float | None = None,
) -> RednessCurve:
    """The redness chart's data: each follow-up photo used in the curve is one point per region."""
    series: dict[str, list[tuple[float, float]]] = {}
    for p in photos:
        if p.role != "follow_up" or not p.used_in_curve or p.hours_since_treatment is None:
            continue
        for m in p.measurements:
            if m.delta_a_star is not None:
                series.setdefault(m.region, []).append((p.hours_since_treatment, m.delta_a_star))
    return RednessCurve(
        series={k: tuple(sorted(v)) for k, v in series.items()},
        fitted=tuple((float(h), float(v)) for h, v in fitted),
        fitted_label=fitted_label,
        threshold=threshold,
    )


def aftercare_items(treated_at: datetime | None) -> tuple[AftercareItem, ...]:
    """The protocol's aftercare rules as timeline items (24 h and 48 h from treatment start)."""

    def until(h: float):
        return treated_at + timedelta(hours=h) if treated_at is not None else None

    return (
        AftercareItem(
            "no makeup, swimming or sun",
            0.0,
            NO_MAKEUP_SWIM_SUN_HOURS,
            SRC_AFTERCARE,
            until(NO_MAKEUP_SWIM_SUN_HOURS),
        ),
        AftercareItem(
            "no acids or retinol", 0.0, NO_ACIDS_RETINOL_HOURS, SRC_AFTERCARE, until(NO_ACIDS_RETINOL_HOURS)
        ),
    )
