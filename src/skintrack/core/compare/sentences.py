"""The sentences a person reads about a comparison: its warnings and the finding of a region that
became redder. Kept out of the measurement so that the numbers and the words change apart; the
region names come from :mod:`skintrack.words`."""

from __future__ import annotations

from skintrack.words import capitalised, region_phrase

NOT_SAME_PERSON = (
    "The later photo does not look like the same person as the baseline photo; it "
    "was not compared. Use photos of one person only."
)
EVERY_REGION_TREATED = (
    "Every region was treated: no untreated skin is left to correct the light "
    "with, so the change includes any change of light."
)
LIGHT_NOT_MATCHED = (
    "The light of the two photos was not matched (no colour chart and no "
    "untreated region named): changes include any change of light."
)


def photo_problem(which: str, problem: str) -> str:
    """A capture problem of one photo: ``which`` is ``"baseline"`` or ``"later"``."""
    return f"{which.capitalize()} photo: {problem}"


def head_turned(yaw_difference_deg: float) -> str:
    """The head turned differently between the photos (degrees of yaw)."""
    return (
        f"The head is turned {yaw_difference_deg:.0f}° differently from the baseline photo; "
        "side regions compare less reliably. Face the camera the same way."
    )


def too_little_skin(region: str) -> str:
    """A region with too few usable pixels in both photos to be measured."""
    return f"Too little of {region_phrase(region)} is visible in both photos to measure it."


def redder_than_baseline(region: str, delta_a_star: float, uncertainty: float, grade: str) -> str:
    """The finding of a region that became really redder (a* in CIELAB units)."""
    return (
        f"{capitalised(region_phrase(region))} is redder than in the baseline photo: a* "
        f"{delta_a_star:+.1f} ± {uncertainty:.1f} ({grade})."
    )
