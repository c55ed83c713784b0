"""The end point: how red the treated skin became on the first photo after treatment, against
the protocol's "slightly pink"."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from skintrack.core.protocol import ENDPOINT_MAX_DELTA_A_STAR, ENDPOINT_PHOTO_MAX_HOURS
from skintrack.core.recovery.records import EndpointCheck, Observation


def endpoint_check(
    series: Mapping[str, Sequence[Observation]], *, treated_regions: Sequence[str]
) -> EndpointCheck | None:
    """The end-point check of the first photo after treatment (None before there is one).

    The protocol: "Apply pressure until the skin is slightly pink; discard the misconception that
    'redder equals more effective'" (:data:`~skintrack.core.protocol.SRC_ENDPOINT`). A treated
    region is redder than slightly pink when its Δa* on the first photo, taken within
    :data:`~skintrack.core.protocol.ENDPOINT_PHOTO_MAX_HOURS`, exceeds
    :data:`~skintrack.core.protocol.ENDPOINT_MAX_DELTA_A_STAR` by more than its own 95 % band:
    only what the photo shows beyond doubt is called too much.
    """
    first: dict[str, Observation] = {}
    for name in treated_regions:
        obs = series.get(name) or ()
        if obs:
            first[name] = min(obs, key=lambda o: o.hours)
    if not first:
        return None
    hours = min(o.hours for o in first.values())
    # One photo: the earliest; regions it does not measure are left out.
    first = {n: o for n, o in first.items() if o.hours == hours}
    measured = hours <= ENDPOINT_PHOTO_MAX_HOURS
    region, reddest = max(first.items(), key=lambda item: item[1].delta_a_star)
    too_red = tuple(
        n for n, o in first.items() if measured and o.delta_a_star - o.uncertainty > ENDPOINT_MAX_DELTA_A_STAR
    )
    return EndpointCheck(
        reddest.photo_id,
        hours,
        measured,
        region,
        reddest.delta_a_star,
        reddest.uncertainty,
        reddest.delta_erythema_index,
        too_red,
    )
