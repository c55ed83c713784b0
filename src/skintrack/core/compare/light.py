"""Light normalisation: match the later photo's light to the baseline's on untreated skin.

A per-channel gain in linear light with a shared left-right / up-down shading slope is fitted to
tile means of log-ratios on the untreated (reference) regions; its uncertainty is measured by
leaving each reference region out in turn. With a colour chart the chart's held-out error bounds
it; with neither, the photos are compared as photographed and the uncertainty is large.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from skintrack.core.colour import a_star_from_linear, central_mean
from skintrack.core.compare.results import Normalisation

#: Uncertainty (a* units, 95 % band) when nothing corrects the light between the two photos:
#: above the largest error (2.1) of our changed-light repeat set (white balance ±10-15 %,
#: exposure ±15 %, 20 % side light) without normalisation. Real rooms can differ more, hence the
#: warning that comes with ``none``.
NONE_UNCERTAINTY = 2.5
#: Floor of the normalisation uncertainty with untreated regions (a* units): above the 99th
#: percentile (0.25) and near the maximum (0.48) of |Δa*| on unchanged cheeks normalised on the
#: other regions in our repeat measurements.
UNTREATED_MIN_UNCERTAINTY = 0.4
#: Side of the tiles (fraction of face width) over which light log-ratios are averaged before the
#: light field is fitted: it keeps single lesions or misaligned edges from steering the fit.
LIGHT_TILE = 0.03
#: Tiles whose log-ratio is further than this (natural log) from the median are left out of the
#: light fit (a moved shadow, a spot of glare).
LIGHT_OUTLIER_LOG = 0.25
#: Reference samples used for a light fit (evenly thinned beyond that): plenty for 3-5 numbers.
LIGHT_MAX_SAMPLES = 20000
#: Minimum spread (standard deviation, fraction of face width) of reference tiles along an axis
#: for a shading slope along that axis to be fitted.
LIGHT_MIN_SPREAD = 0.08


@dataclass(frozen=True)
class LightModel:
    offsets: np.ndarray  # (3,) natural-log gains at the face centre
    slope: np.ndarray  # (2,) shared log-gain slope per face width along x, y

    def gains(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        shade = self.slope[0] * x + self.slope[1] * y
        return np.exp(self.offsets[None, :] + shade[:, None]).astype(np.float32)


def fit_light(x: np.ndarray, y: np.ndarray, log_ratio: np.ndarray, tile_id: np.ndarray) -> LightModel:
    """Fit per-channel log gains with a shared shading slope to tile means of ``log_ratio``."""
    med = np.median(log_ratio, axis=0)
    keep = np.all(np.abs(log_ratio - med) < LIGHT_OUTLIER_LOG, axis=1)
    x, y, lr, tid = x[keep], y[keep], log_ratio[keep], tile_id[keep]
    if lr.shape[0] == 0:
        return LightModel(med.astype(np.float64), np.zeros(2))
    # Tile ids are small non-negative integers: compact them without sorting.
    present = np.zeros(int(tid.max()) + 1, np.int64)
    present[tid] = 1
    inv = (np.cumsum(present) - 1)[tid]
    n = np.bincount(inv).astype(np.float64)
    tx = np.bincount(inv, x) / n
    ty = np.bincount(inv, y) / n
    tl = np.stack([np.bincount(inv, lr[:, c]) / n for c in range(3)], axis=1)
    wsum = n.sum()

    def spread(v):
        m = (n * v).sum() / wsum
        return math.sqrt(max(0.0, (n * (v - m) ** 2).sum() / wsum))

    use = [spread(tx) >= LIGHT_MIN_SPREAD, spread(ty) >= LIGHT_MIN_SPREAD]
    k = len(n)
    cols = [np.kron(np.eye(3), np.ones((k, 1)))]  # one offset per channel
    if use[0]:
        cols.append(np.tile(tx, 3)[:, None])
    if use[1]:
        cols.append(np.tile(ty, 3)[:, None])
    a = np.hstack(cols)
    rhs = tl.T.reshape(-1)  # channel-major, matching the offsets' block layout
    sw = np.sqrt(np.tile(n, 3))
    sol, *_ = np.linalg.lstsq(a * sw[:, None], rhs * sw, rcond=None)
    slope = np.zeros(2)
    i = 3
    for axis in (0, 1):
        if use[axis]:
            slope[axis] = sol[i]
            i += 1
    return LightModel(sol[:3].astype(np.float64), slope)


def fit_reference_light(refs, where, lb, ll, x, y, rows, cols, tile, w, a_b):
    """Fit the light model on all reference regions, and leave-one-region-out residuals (a*).

    Each region's samples are thinned evenly so that all references together give at most
    :data:`LIGHT_MAX_SAMPLES` (plenty for five numbers); log-ratios are taken of those only.
    """
    total = sum(where[n].size for n in refs)
    stride = max(1, total // LIGHT_MAX_SAMPLES)
    floor = np.float32(1e-3)
    per = {}
    for n in refs:
        k = where[n][::stride]
        lr = np.log(np.maximum(lb[k], floor)) - np.log(np.maximum(ll[k], floor))
        tid = (rows[k] // tile) * (w // tile + 1) + cols[k] // tile
        per[n] = (x[k], y[k], lr, tid)

    def fit(names):
        parts = [per[n] for n in names]
        return fit_light(*(np.concatenate([p[j] for p in parts]) for j in range(4)))

    model = fit(refs)
    loro = []
    if len(refs) >= 2:
        for held in refs:
            m = fit([n for n in refs if n != held])
            k = where[held]
            a_l = a_star_from_linear(ll[k] * m.gains(x[k], y[k]))
            loro.append(central_mean(a_l) - central_mean(a_b[k]))
    return model, loro


def normalisation_for(model, refs, loro, calibrations) -> Normalisation:
    """The record of how the light was matched: the fitted ``model`` on ``refs`` (or None), its
    leave-one-region-out residuals ``loro`` and the colour-chart ``calibrations`` (or None)."""
    chart_u = None
    if calibrations:
        chart_u = math.hypot(*(c.a_star_uncertainty for c in calibrations))
    if model is not None:
        # Leave-one-region-out residuals are the honest error of extrapolating the light from
        # some untreated regions to another region: their RMS, as a 95 % band.
        u = UNTREATED_MIN_UNCERTAINTY
        if loro:
            u = max(u, 1.96 * math.sqrt(float(np.mean(np.square(loro)))))
        elif len(refs) == 1:
            u = max(u, 2 * UNTREATED_MIN_UNCERTAINTY)  # one reference: nothing to check it by
        if chart_u is not None:
            u = min(u, math.hypot(chart_u, UNTREATED_MIN_UNCERTAINTY))
        g_r, g_g, g_b = (float(g) for g in np.exp(model.offsets))
        gains = (g_r, g_g, g_b)
        return Normalisation(
            "chart+untreated_regions" if chart_u is not None else "untreated_regions",
            tuple(refs),
            float(u),
            gains,
            (float(model.slope[0]), float(model.slope[1])),
        )
    if chart_u is not None:
        return Normalisation("chart", (), float(chart_u))
    return Normalisation("none", (), NONE_UNCERTAINTY)
