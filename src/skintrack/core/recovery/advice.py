"""The sentences a person reads about their recovery: the words of each status and urgency, and
the advice of a session (symptoms, the status, the end point, spots to look at, aftercare), each
with the protocol sentence it rests on."""

from __future__ import annotations

from collections.abc import Sequence

from skintrack.core.protocol import (
    ENDPOINT_MAX_DELTA_A_STAR,
    ENDPOINT_PHOTO_MAX_HOURS,
    HOME_NEEDLE_MAX_MM,
    MAX_PASSES_PER_AREA,
    SRC_AFTERCARE,
    SRC_ENDPOINT,
    SRC_NEEDLE,
    SRC_REDNESS_WINDOW,
    SRC_SAFETY_FIRST,
    SRC_SERUM,
    SRC_SKIN_SUSPEND,
    SRC_WARNING,
)
from skintrack.core.readable import duration_text, hours_text
from skintrack.core.recovery.aftercare import SERUM_STEP, SESSION_OVER_HOURS
from skintrack.core.recovery.records import (
    Advice,
    EndpointCheck,
    NewFinding,
    NextPhoto,
    RegionRecovery,
    Symptoms,
    Timer,
)
from skintrack.words import (
    STATUS_WORDS,  # noqa: F401  (re-exported by core.recovery)
    URGENCY_WORDS,  # noqa: F401
    and_list,
    capitalised,
    kind_plural,
    kind_with_article,
    region_phrase,
)

# The words of each status and urgency live in skintrack.words (one vocabulary for every front
# end); core.recovery re-exports them for existing imports.


def endpoint_advice(check: EndpointCheck | None) -> Advice | None:
    """The end point in plain words: too red ("next time, lighter"), within slightly pink, or a
    first photo too late to tell; None before the first photo."""
    if check is None:
        return None
    limit = f"+{ENDPOINT_MAX_DELTA_A_STAR:g}"
    if not check.measured:
        return Advice(
            "endpoint_not_measured",
            "info",
            f"Your first photo came {check.hours:.1f} h after treatment: too late to see how red "
            f"the skin became. Next time take one within {ENDPOINT_PHOTO_MAX_HOURS:g} h; it shows "
            "whether you stopped at slightly pink.",
            SRC_ENDPOINT,
        )
    dei = (
        f", erythema index {check.delta_erythema_index:+.1f}"
        if check.delta_erythema_index is not None
        else ""
    )
    if check.too_red:
        where = _phrases(check.too_red)
        return Advice(
            "endpoint_too_red",
            "caution",
            f"Right after treatment {where} became redder than slightly pink (redness "
            f"{check.delta_a_star:+.1f} ± {check.uncertainty:.1f} a*{dei}; slightly pink stays "
            f"below {limit}). That means too much pressure or too many passes. Next time, "
            f"lighter: press gently, at most {MAX_PASSES_PER_AREA} passes, and stop at slightly "
            "pink. Redder is not more effective.",
            SRC_ENDPOINT,
        )
    return Advice(
        "endpoint_ok",
        "info",
        f"Right after treatment the skin was no redder than slightly pink (redness "
        f"{check.delta_a_star:+.1f} a* on {region_phrase(check.region)}{dei}; the limit is "
        f"{limit}): the pressure was right.",
        SRC_ENDPOINT,
    )


def _phrases(regions: Sequence[str | None]) -> str:
    """``"the nose"``, ``"the left cheek and the skin around the mouth"``."""
    return and_list(region_phrase(r) for r in regions)


def look_advice(spots: Sequence[NewFinding]) -> Advice:
    """Advice for new spots seen on one photo: look, and watch the next photo; no alarm."""
    where = _phrases(sorted({s.region or "" for s in spots}))
    kinds = sorted({s.kind for s in spots})
    n = len(spots)
    return Advice(
        "spot_to_look_at",
        "caution",
        f"{n} new spot{'s' if n != 1 else ''} to look at on {where} (possibly "
        f"{' or '.join(kind_with_article(k) for k in kinds)}), seen on one photo only. Look at "
        f"{'them' if n != 1 else 'it'} in a mirror: if you see a pustule or an open wound, or "
        "the next photo shows it again, stop use and consult a dermatologist.",
        SRC_WARNING,
    )


def _region_list(rrs: Sequence[RegionRecovery]) -> str:
    return _phrases([rr.region for rr in rrs])


def session_advice(
    status: str,
    *,
    hours_now: float,
    predicted: float | None,
    symptoms: Symptoms | None,
    new_findings: Sequence[NewFinding],
    needle_mm: float | None,
    nxt: NextPhoto | None,
    treated: Sequence[RegionRecovery],
    timers: Sequence[Timer],
) -> tuple[Advice, ...]:
    """The session's advice, most urgent first: symptoms, the status, a session long over, the
    next photo, the serum and aftercare steps, no next session yet, and a medical-grade needle."""
    out: list[Advice] = []
    if symptoms is not None and (symptoms.oozing or symptoms.fever):
        which = " and ".join(s for s in ("oozing", "fever") if getattr(symptoms, s))
        out.append(
            Advice(
                "seek_care_now",
                "urgent",
                f"You reported {which}: it may be a sign of infection or allergy. Seek medical advice "
                "now, whatever the photos show, and do not microneedle again until a doctor has seen "
                "it.",
                SRC_WARNING,
            )
        )
    if symptoms is not None and symptoms.swelling:
        out.append(
            Advice(
                "swelling",
                "stop",
                "You reported swelling: it may be a sign of infection or allergy. Stop use immediately "
                "and consult a dermatologist.",
                SRC_WARNING,
            )
        )
    if symptoms is not None and symptoms.pain_beyond_mild_burning:
        out.append(
            Advice(
                "pain",
                "stop",
                "Only mild redness and a burning sensation are normal after microneedling. Pain beyond "
                "that is not: stop use and consult a dermatologist.",
                SRC_REDNESS_WINDOW,
            )
        )

    red = [rr for rr in treated if rr.status == status]
    if status == "insufficient_data":
        if hours_now < 0:
            out.append(
                Advice(
                    "not_started",
                    "info",
                    f"The treatment starts in {duration_text(-hours_now)}. Take the "
                    "baseline "
                    "photo before you start.",
                )
            )
        elif hours_now <= SESSION_OVER_HOURS:  # a session long over says so below instead
            out.append(
                Advice(
                    "no_photo_yet",
                    "info",
                    "No photo after treatment yet. Mild redness and a burning sensation are normal and "
                    "usually subside within 4 to 6 hours; photos show whether yours does.",
                    SRC_REDNESS_WINDOW,
                )
            )
    elif status == "resolved":
        out.append(
            Advice(
                "resolved",
                "info",
                "The redness is back to baseline in every treated region.",
                SRC_REDNESS_WINDOW,
            )
        )
    elif status == "on_track":
        if predicted is not None:
            text = (
                "Mild redness is normal and usually subsides within 4 to 6 hours; yours is "
                f"fading on course (back to baseline about {hours_text(predicted)} after "
                "treatment)."
            )
        else:
            text = (
                "Mild redness and a burning sensation are normal and usually subside within "
                "4 to 6 hours. One photo cannot show the fade yet."
            )
        out.append(Advice("on_track", "info", text, SRC_REDNESS_WINDOW))
    elif status == "slower_than_usual":
        when = f"at about {predicted:.1f} h" if predicted is not None else "not at the rate seen so far"
        out.append(
            Advice(
                "slower_than_usual",
                "caution",
                f"The redness in {_region_list(red)} is fading more slowly than usual: back to "
                f"baseline {when}, not within the usual 4 to 6 hours. Keep to the aftercare; if it is "
                "still there at 6 hours, stop home treatment and consult a dermatologist.",
                SRC_REDNESS_WINDOW,
            )
        )
    elif status == "persistent":
        out.append(
            Advice(
                "persistent",
                "stop",
                f"{capitalised(_region_list(red))} {'is' if len(red) == 1 else 'are'} still redder "
                f"than before treatment {hours_text(hours_now)} on; mild redness usually "
                "subsides within 4 to 6 hours. Persistent erythema may be a sign of infection "
                "or allergy: stop home microneedling and consult a dermatologist.",
                SRC_WARNING,
            )
        )
    elif status == "worsening":
        reasons = []
        if red:
            reasons.append(f"the redness in {_region_list(red)} is increasing")
        if new_findings:
            kinds = sorted({kind_plural(f.kind) for f in new_findings})
            reasons.append("new " + " and ".join(kinds) + " appeared after treatment")
        out.append(
            Advice(
                "worsening",
                "stop",
                f"{'; '.join(reasons).capitalize()}. This may be a sign of infection or allergy: stop "
                "use immediately and consult a dermatologist promptly.",
                SRC_WARNING,
            )
        )
        if new_findings:
            out.append(
                Advice(
                    "suspend_until_healed",
                    "stop",
                    "Do not microneedle over open wounds or acne pustules; wait until the skin has "
                    "fully recovered.",
                    SRC_SKIN_SUSPEND,
                )
            )

    if hours_now > SESSION_OVER_HOURS and status not in ("persistent", "worsening"):
        out.append(
            Advice(
                "session_over",
                "info",
                f"This session is over: it was {duration_text(hours_now)} ago, so no more check "
                "photos are needed. For a next session, start a new one with a new baseline photo.",
            )
        )
    if nxt is not None:
        out.append(
            Advice(
                "next_photo",
                "info",
                f"Take the next photo {hours_text(nxt.hours)} after treatment: it will show {nxt.settles}.",
            )
        )
    if any(t.active for t in timers if t.code == SERUM_STEP) and hours_now >= 0:
        out.append(
            Advice(
                "serum",
                "info",
                "Immediately after the procedure, apply a repairing serum or a medical-grade mask: the "
                "skin's channels are open, so it absorbs best now, but it is also most vulnerable. "
                "Tick it when done.",
                SRC_SERUM,
            )
        )
    if any(t.active for t in timers if t.code in ("no_makeup_swimming_sun", "no_acids_retinol")):
        out.append(
            Advice(
                "aftercare",
                "info",
                "Avoid makeup, swimming and sun exposure for 24 hours, and acids or retinol for "
                "48 hours after treatment.",
                SRC_AFTERCARE,
            )
        )
    if status != "resolved":
        out.append(
            Advice(
                "no_next_session",
                "info",
                "Do not plan the next session before the redness is back to baseline: "
                "it is better to see slower results than to risk skin health.",
                SRC_SAFETY_FIRST,
            )
        )
    if needle_mm is not None and needle_mm > HOME_NEEDLE_MAX_MM:
        out.append(
            Advice(
                "needle_medical_grade",
                "caution",
                f"This session used {needle_mm:g} mm needles: anything exceeding 0.5 mm is considered "
                "medical grade and is unsuitable for home operation.",
                SRC_NEEDLE,
            )
        )
    return tuple(out)
