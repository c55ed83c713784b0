"""The measurement: align the later photo, check the person, match the light, and measure the
redness change of every region (:func:`compare_analyses`)."""

from __future__ import annotations

import math

import numpy as np

from skintrack.core.colour import (
    a_star_from_linear,
    central_mean,
    erythema_index,
    srgb_to_linear,
)
from skintrack.core.compare import sentences
from skintrack.core.compare.light import (
    LIGHT_TILE,
    NONE_UNCERTAINTY,
    fit_reference_light,
    normalisation_for,
)
from skintrack.core.compare.maps import smoothed_delta_map
from skintrack.core.compare.results import (
    CompareError,
    Comparison,
    Identity,
    Normalisation,
    RegionChange,
    grade_for,
    is_real_change,
)
from skintrack.core.compare.same_person import check_identity
from skintrack.core.regions import REGION_NAMES

NEAREST = True
#: Uncertainty of a region's own difference that remains with identical light: sampling,
#: JPEG and registration (a* units, 95 % band): the 95th percentile (0.22) of |Δa*| over all
#: regions of unchanged faces re-photographed without a light change.
REGION_REPEAT_UNCERTAINTY = 0.25

#: Common usable work-grid samples a region needs to be measured (about 1 % of the face).
MIN_REGION_SAMPLES = 150


def _region_face_width(regions) -> float:
    x0, _, x1, _ = regions.face_box
    return max(1.0, (x1 - x0) / regions.step)


def _usable_union(regions) -> np.ndarray:
    out = np.zeros(regions.work_rgb.shape[:2], bool)
    for r in regions.regions.values():
        out |= r.usable
    return out


def _refused(identity: Identity, treated: tuple[str, ...], warnings: list[str], timing: dict) -> Comparison:
    warnings.insert(0, sentences.NOT_SAME_PERSON)
    return Comparison(
        regions={},
        normalisation=Normalisation("none", (), NONE_UNCERTAINTY),
        same_person=False,
        warnings=tuple(warnings),
        identity=identity,
        treated=treated,
        timing_ms=timing,
    )


def compare_analyses(
    baseline, later, *, treated: tuple[str, ...] = (), with_map: bool = False, calibrations=None
) -> Comparison:
    """Compare the redness of a later photo with the baseline, region by region.

    Parameters
    ----------
    baseline, later : Analysis
        Analyses (:func:`skintrack.core.analysis.analyze_photo`) with one face each.
    treated : tuple of str
        The regions that were treated; every other region with enough skin is a reference for
        the light normalisation. Empty: nothing is known to be untreated, so no skin can be a
        reference and the photos are compared as photographed (unless charts were used).
    with_map : bool
        Also compute :attr:`Comparison.delta_map`.
    calibrations : tuple of Calibration, optional
        The colour-chart calibrations of (baseline, later) when both analyses were made on
        chart-corrected photos (:mod:`skintrack.core.calibration`); their held-out error sets
        the uncertainty.

    Returns
    -------
    Comparison

    Raises
    ------
    CompareError
        When a photo has no single face or ``treated`` names an unknown region.
    """
    import time

    from skintrack.core.warp import regions_mapping

    t0 = time.perf_counter()
    treated = tuple(dict.fromkeys(str(t) for t in treated))
    unknown = [t for t in treated if t not in REGION_NAMES]
    if unknown:
        raise CompareError(f"unknown region {unknown[0]!r}; regions are {', '.join(REGION_NAMES)}")
    for label, a in (("baseline", baseline), ("later", later)):
        if a.face is None or a.regions is None:
            n = a.detection.count
            raise CompareError(
                f"the {label} photo has {'no' if n == 0 else n} face"
                f"{'' if n == 1 else 's'}; a comparison needs exactly one"
            )
    warnings: list[str] = []
    for label, a in (("baseline", baseline), ("later", later)):
        for p in a.quality.problems:
            warnings.append(sentences.photo_problem(label, p.message))
    b_regs, l_regs = baseline.regions, later.regions
    timing: dict[str, float] = {}

    mapping = regions_mapping(b_regs, baseline.face, l_regs, later.face)
    warped_rgb = mapping.sample(l_regs.work_rgb)
    t1 = time.perf_counter()
    timing["warp"] = (t1 - t0) * 1e3
    fw = _region_face_width(b_regs)
    identity = check_identity(baseline.face, later.face, b_regs.work_rgb, warped_rgb, mapping.valid, fw)
    t2 = time.perf_counter()
    timing["identity"] = (t2 - t1) * 1e3
    if not identity.same_person:
        return _refused(identity, treated, warnings, timing)
    yaw_diff = abs(baseline.face.pose.yaw - later.face.pose.yaw)
    if yaw_diff > 10:
        warnings.append(sentences.head_turned(yaw_diff))

    # Linear light of both photos on the baseline grid; the later one warped in linear light so
    # that interpolation mixes light, not encoded values.
    lin_b = srgb_to_linear(b_regs.work_rgb)
    lin_l = mapping.sample(srgb_to_linear(l_regs.work_rgb), nearest=NEAREST)
    later_ok = mapping.sample(_usable_union(l_regs).astype(np.uint8), nearest=True).astype(bool)
    common = mapping.valid & later_ok
    idx: dict[str, np.ndarray] = {}
    for name in REGION_NAMES:
        i = np.flatnonzero(b_regs[name].usable & common)
        if i.size >= MIN_REGION_SAMPLES:
            idx[name] = i
        else:
            warnings.append(sentences.too_little_skin(name))
    h, w = common.shape
    # Every measured sample once, in one flat set ("union"); regions are positions into it.
    in_any = np.zeros(h * w, bool)
    for i in idx.values():
        in_any[i] = True
    union = np.flatnonzero(in_any)
    pos = np.full(h * w, -1, np.int64)
    pos[union] = np.arange(union.size)
    where = {name: pos[i] for name, i in idx.items()}
    lb = lin_b.reshape(-1, 3)[union]
    ll = lin_l.reshape(-1, 3)[union]
    # Face-centred coordinates in face widths, for the shading slope.
    step = b_regs.step
    ox, oy = b_regs.origin
    rows, cols = np.divmod(union, w)
    x = (ox + cols * step - (b_regs.face_box[0] + b_regs.face_box[2]) / 2.0) / (fw * step)
    y = (oy + rows * step - (b_regs.face_box[1] + b_regs.face_box[3]) / 2.0) / (fw * step)
    a_b = a_star_from_linear(lb)

    refs = tuple(n for n in REGION_NAMES if n not in treated and n in idx) if treated else ()
    model = None
    loro: list[float] = []
    if refs:
        tile = max(2, int(round(LIGHT_TILE * fw)))
        model, loro = fit_reference_light(refs, where, lb, ll, x, y, rows, cols, tile, w, a_b)
    elif treated:
        warnings.append(sentences.EVERY_REGION_TREATED)
    norm = normalisation_for(model, refs, loro, calibrations)
    if norm.method == "none":
        warnings.append(sentences.LIGHT_NOT_MATCHED)
    t3 = time.perf_counter()
    timing["normalise"] = (t3 - t2) * 1e3

    if model is not None:
        ll = ll * model.gains(x, y)
    a_l = a_star_from_linear(ll)
    ei_b = erythema_index(lb)
    ei_l = erythema_index(ll)
    changes: dict[str, RegionChange] = {}
    for name, k in where.items():
        ab, al = central_mean(a_b[k]), central_mean(a_l[k])
        d = al - ab
        dei = central_mean(ei_l[k]) - central_mean(ei_b[k])
        u = math.hypot(norm.uncertainty, REGION_REPEAT_UNCERTAINTY)
        real = is_real_change(d, u)
        changes[name] = RegionChange(
            region=name,
            baseline_a_star=ab,
            later_a_star=al,
            delta_a_star=d,
            delta_erythema_index=dei,
            uncertainty=u,
            real_change=real,
            grade=grade_for(d, real),
            samples=int(k.size),
        )
    delta_map = None
    if with_map:
        delta_map = smoothed_delta_map(union, a_l - a_b, (h, w), fw)
    timing["measure"] = (time.perf_counter() - t3) * 1e3
    return Comparison(
        regions=changes,
        normalisation=norm,
        same_person=True,
        warnings=tuple(warnings),
        delta_map=delta_map,
        map_origin=b_regs.origin,
        map_step=step,
        identity=identity,
        treated=treated,
        timing_ms=timing,
    )
