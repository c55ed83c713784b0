"""The fit: an exponential fade ``Δa*(t) = A·exp(-t/τ)`` per region, its posterior on a grid, and
the status of one region from its post-treatment photos."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from skintrack.core.protocol import REDNESS_WINDOW_END_HOURS
from skintrack.core.recovery.records import DecayFit, Observation, RegionRecovery

#: Redness may still build and settle in the first hour (the flush right after needling); a rise
#: counts as worsening only between photos both taken after it.
RISE_AFTER_HOURS = 1.0
#: A rise must exceed the real-change threshold and this many combined standard uncertainties, so
#: that repeat-photo noise between any two of several photos does not read as worsening.
RISE_SIGMAS = 4.0
#: Largest Δa* (a* units) the fit considers right after treatment, unless a photo shows more
#: (then 2.5 times the largest seen): "marked" erythema starts near 7 a*.
MAX_AMPLITUDE_A_STAR = 12.0
#: Predictions beyond this many hours are reported as "not predictable" (None).
PREDICTION_HORIZON_HOURS = 72.0
#: Time constants (hours) the fit considers; log-spaced, so the prior is flat in log τ.
TAU_GRID_HOURS = np.geomspace(0.1, 1000.0, 121)  # 8 % steps
#: Points of the amplitude grid (0.075 a* steps up to MAX_AMPLITUDE_A_STAR).
AMPLITUDE_STEPS = 161


def _weighted_quantiles(values: np.ndarray, weights: np.ndarray, qs: Sequence[float]) -> list:
    # Only grid points with weight matter; dropping the rest makes the sort cheap.
    keep = weights > 1e-12 * weights.max()
    values, weights = values[keep], weights[keep]
    order = np.argsort(values, kind="stable")
    cdf = np.cumsum(weights[order])
    cdf /= cdf[-1]
    idx = np.minimum(np.searchsorted(cdf, qs), len(values) - 1)
    return [float(v) for v in values[order][idx]]


def fit_decay(
    observations: Sequence[Observation],
    *,
    threshold: float,
    window_end_hours: float = REDNESS_WINDOW_END_HOURS,
) -> DecayFit:
    """Fit ``Δa*(t) = A·exp(-t/τ)`` to two or more observations of one region.

    The posterior is computed on a grid: ``τ`` over :data:`TAU_GRID_HOURS` (flat in log τ),
    ``A`` from 0 to :data:`MAX_AMPLITUDE_A_STAR` or 2.5 times the largest Δa* seen (flat),
    Gaussian errors with each photo's
    standard uncertainty (:meth:`Observation.sigma`). A decay toward the baseline cannot start
    below it, so ``A >= 0``: a paler-than-baseline series has nothing to fade.

    Parameters
    ----------
    observations
        Post-treatment observations (hours >= 0), two or more.
    threshold
        Real-change threshold, CIELAB a* units: "back to baseline" means below it.
    window_end_hours
        The end of the normal window (6 h); ``p_by_window_end`` is P(back by then).
    """
    if len(observations) < 2:
        raise ValueError("fitting a decay needs two or more photos")
    if threshold <= 0:
        raise ValueError("threshold must be positive (a* units)")
    t = np.array([o.hours for o in observations], dtype=np.float64)
    d = np.array([o.delta_a_star for o in observations], dtype=np.float64)
    w = 1.0 / np.array([o.sigma(threshold) for o in observations], dtype=np.float64) ** 2
    tau = TAU_GRID_HOURS
    amp = np.linspace(0.0, max(MAX_AMPLITUDE_A_STAR, 2.5 * float(d.max())), AMPLITUDE_STEPS)
    e = np.exp(-t[None, :] / tau[:, None])  # (K, N)
    # Weighted squared residuals for every (A, τ), expanded so no (J, K, N) array is needed.
    s_ee, s_de, s_dd = (e * e * w).sum(1), (e * d * w).sum(1), float((d * d * w).sum())
    chi2 = s_dd - 2.0 * amp[:, None] * s_de[None, :] + amp[:, None] ** 2 * s_ee[None, :]
    post = np.exp(-0.5 * (chi2 - chi2.min()))
    post /= post.sum()
    last = float(t.max())
    p_still = float(post[amp[:, None] * np.exp(-last / tau)[None, :] > threshold].sum())
    # When Δa* falls below the threshold: τ·ln(A/θ), or 0 if it starts below.
    resolve = np.log(np.maximum(amp, threshold) / threshold)[:, None] * tau[None, :]
    flat_resolve, flat_post = resolve.ravel(), post.ravel()
    p_on_time = float(flat_post[flat_resolve <= window_end_hours].sum())
    low, median, high = _weighted_quantiles(flat_resolve, flat_post, (0.05, 0.5, 0.95))
    j, k = np.unravel_index(int(np.argmax(post)), post.shape)
    return DecayFit(
        amplitude=float(amp[j]),
        tau_hours=float(tau[k]),
        resolve_hours=median if median <= PREDICTION_HORIZON_HOURS else None,
        resolve_low=low,
        resolve_high=high if high <= PREDICTION_HORIZON_HOURS else None,
        p_by_window_end=min(max(p_on_time, 0.0), 1.0),
        p_still_redder=min(max(p_still, 0.0), 1.0),
        last_hours=last,
        n_photos=len(observations),
    )


def _confidence_from_p(p: float) -> str:
    """How sure a two-way call is, from the probability of the side chosen."""
    p = max(p, 1.0 - p)
    return "high" if p >= 0.9 else "medium" if p >= 0.7 else "low"


def _confidence_from_z(z: float) -> str:
    """How sure a threshold call is, from the margin in standard uncertainties."""
    return "high" if z >= 2.0 else "medium" if z >= 1.0 else "low"


def _largest_rise(obs: Sequence[Observation], threshold: float) -> tuple[float, float] | None:
    """The most significant rise between two photos both after the first hour.

    Returns ``(rise, z)`` (a* units, and rise over its combined uncertainty) of the pair that
    exceeds both the threshold and :data:`RISE_SIGMAS`, or None.
    """
    late = [o for o in obs if o.hours >= RISE_AFTER_HOURS]
    found = None
    for i, a in enumerate(late):
        for b in late[i + 1 :]:
            if b.hours <= a.hours:
                continue
            rise = b.delta_a_star - a.delta_a_star
            sigma = math.hypot(a.sigma(threshold), b.sigma(threshold))
            if rise > threshold and rise > RISE_SIGMAS * sigma:
                z = rise / sigma
                if found is None or z > found[1]:
                    found = (rise, z)
    return found


def region_recovery(region: str, observations: Sequence[Observation], *, threshold: float) -> RegionRecovery:
    """Status of one region from its post-treatment observations (any order)."""
    obs = tuple(sorted(observations, key=lambda o: o.hours))
    if not obs:
        return RegionRecovery(
            region, "insufficient_data", "none", obs, reason="no usable photo after treatment"
        )
    rise = _largest_rise(obs, threshold)
    if rise is not None:
        return RegionRecovery(
            region,
            "worsening",
            _confidence_from_z(rise[1] - RISE_SIGMAS + 1.0),
            obs,
            reason=f"redness rose by {rise[0]:.1f} a* after the first hour",
        )
    last = obs[-1]
    if len(obs) == 1:
        z_last = (last.delta_a_star - threshold) / last.sigma(threshold)
        if not last.redder:
            return RegionRecovery(
                region,
                "resolved",
                _confidence_from_z(-z_last),
                obs,
                reason="no real redness left in the photo",
            )
        if last.hours >= REDNESS_WINDOW_END_HOURS:
            return RegionRecovery(
                region,
                "persistent",
                _confidence_from_z(z_last + 1.0),
                obs,
                reason=f"still {last.delta_a_star:.1f} a* redder {last.hours:.1f} h after treatment",
            )
        # Redness this early is the normal course; one point cannot show how fast it fades.
        return RegionRecovery(
            region,
            "on_track",
            "low",
            obs,
            reason="one photo after treatment: redness at this stage is normal",
        )
    # With two or more photos the curve, not the last photo alone, says whether redness is left:
    # one reading near the threshold flips with repeat-photo noise, the fit through all of them
    # does not.
    fit = fit_decay(obs, threshold=threshold)
    if fit.p_still_redder < 0.5:
        return RegionRecovery(
            region,
            "resolved",
            _confidence_from_p(fit.p_still_redder),
            obs,
            fit,
            reason="no real redness left at the latest photo",
        )
    if last.hours >= REDNESS_WINDOW_END_HOURS:
        return RegionRecovery(
            region,
            "persistent",
            _confidence_from_p(fit.p_still_redder),
            obs,
            fit,
            reason=f"still {last.delta_a_star:.1f} a* redder {last.hours:.1f} h after treatment",
        )
    status = "on_track" if fit.p_by_window_end >= 0.5 else "slower_than_usual"
    confidence = _confidence_from_p(fit.p_by_window_end)
    if len(obs) == 2 and confidence == "high":
        # Two points fix both parameters exactly: nothing is left to check the fit against.
        confidence = "medium"
    when = (
        f"back by about {fit.resolve_hours:.1f} h"
        if fit.resolve_hours is not None
        else "not fading measurably"
    )
    return RegionRecovery(region, status, confidence, obs, fit, reason=when)
