"""The close-up check: one patch of skin photographed up close, without a face mesh.

A person worried about one spot photographs it from a hand's width away; such a photo shows no
eyes, so the face landmarker finds no face and the face check stops at "no face". Here the skin
is found by colour instead, the photo's scale is given (``mm_per_px``) or assumed
(:data:`ASSUMED_FRAME_MM` across its longer side), and the same wound, crust, pustule and
cold-sore rules as on a face (:func:`skintrack.core.lesions.patches_in`) run on it. The verdict
is :func:`skintrack.core.verdict.decide` with ``close_up=True``: every finding on the skin of the
photo counts (the photo *is* the patch to be treated).

1. **Skin by colour.** Skin hues lie in a narrow band of CIELAB hue angle (about 20-80 degrees,
   red-orange to yellow, whatever the tone); background, cloth, teeth, the watermark of a clinic
   and the dark mouth opening are greyer, bluer or far lighter or darker. The photo's own skin
   colour is the median of that band, and skin is the band within a tolerance of it (holes
   filled: a lesion inside skin is on the skin).
2. **Lips by colour.** The lips are a large, elongated area clearly redder than the skin; cold
   sores sit on and beside their border, so they take the lips' place in the cold-sore rules,
   and the mouth opening they enclose is not skin.
3. **Scale.** The rules are written in millimetres (a patch counts from 3 mm). Without a given
   scale the photo's longer side is taken to span :data:`ASSUMED_FRAME_MM` (a photo of a spot
   taken as close as a phone focuses); the result says so.

Coordinates returned are pixels of the oriented photo.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from skintrack.core import lesions as L
from skintrack.core.lesions.patches import crust_hue_shift
from skintrack.core.quality import Problem, Quality

#: Without a given scale, the photo's longer side is taken to span this many mm: a phone held
#: about 10 cm from the skin, as close as most focus (DermNet's mouth close-ups show a mouth of
#: about 50 mm across half their 640-px width: 0.16 mm per pixel, 100 mm across).
ASSUMED_FRAME_MM = 100.0
#: The close-up is analysed at this scale (mm per work pixel) when the photo is finer: vesicles
#: of 1-2 mm span 3-7 pixels, and a 12 MP close-up costs no more than a small one.
WORK_MM_PER_PX = 0.3
#: CIELAB hue angle band (degrees) and minimum chroma of skin, of any tone.
SKIN_HUE_DEG = (5.0, 95.0)
SKIN_MIN_CHROMA = 6.0
SKIN_L = (12.0, 96.0)
#: Tolerance around the photo's skin colour (CIELAB units): lightness varies with shading,
#: hue little.
SKIN_MAX_DL = 40.0
SKIN_MAX_DHUE_DEG = 35.0
#: Lips: redder than the skin by at least LIP_DA (a*), an area of at least LIP_MIN_MM2 and
#: LIP_MIN_LENGTH_MM long (see also LIP_MIN_ELONGATION).
LIP_DA = 8.0
LIP_MIN_MM2 = 120.0
LIP_MIN_LENGTH_MM = 20.0
#: ... and at least this elongated (length over width). Lips parted or smiling join at the
#: mouth's corners into one ring around the opening, less elongated than closed lips (1.55-1.8
#: on the clear mouth close-ups whose lips were read as a wound at 1.8); 1.6 takes most of them
#: (clear mouth close-ups GO 81.7 -> 83.4 % on the even half; dermnet found unchanged, 31).
LIP_MIN_ELONGATION = 1.6
#: ... and of a hue at least this much nearer red than the skin's (a crust is yellower).
LIP_HUE_BELOW_DEG = 5.0
#: Pixels this much yellower (b*) than the skin are kept out of the local skin reference: a
#: close-up is often mostly lesion (an impetigo crust 2-3 cm across), and a crust taken into its
#: own reference cannot stand out from it. (On a face, the 12-mm reference and a face of skin
#: around the lesion make this unnecessary; the face rules keep their limit.)
REFERENCE_MAX_DB = 8.0
#: Less than this share of the photo found to be skin: the photo does not show skin to judge.
MIN_SKIN_SHARE = 0.2
#: Patches whose centre lies closer to the photo's edge than this share of their radius are
#: cut by the frame and not judged (1.0 -> 1.5: clear close-ups GO 90.4 -> 90.6 %, dermnet 32 ->
#: 31 of 43, with the settings below).
BORDER_SHARE = 1.5
#: The local skin reference of a close-up is a blur of this many mm (the face's is 12): a close-up
#: shows lesions of 1-3 cm (impetigo) with plenty of skin around them.
REFERENCE_MM = 20.0
#: A patch that keeps growing beyond this many times its core has no border (the face's limit is
#: 8): a real crust is granular, its core a scatter of the yellowest grains, its whole extent far
#: larger.
MAX_GROWTH = 16.0
#: The dark-crust rule (L* 28 below the skin) does not run on close-ups: without a mesh, nostrils
#: and the shadows of the mouth are dark holes it cannot tell from a crust. On 150 sample clear
#: faces it caused most false alarms of the mouth crops (GO 79 -> 87 % without it), and on the
#: dermnet photos it found one photo the other rules did not.
DARK_CRUSTS = False
#: A crust found on a close-up must be yellower in hue than the skin around it by at least this
#: many degrees of CIELAB hue (core: the patch's radius; around it: the skin 2-3.5 radii out).
#: Shading in folds (the nostrils' rims, the nasolabial fold, the dimples at the mouth's corners)
#: makes skin darker and more saturated at much the same hue, and the crust rule's "yellower in
#: b*" holds for it too; dried serum is yellower in hue than the skin it lies on. The measure,
#: :func:`~skintrack.core.lesions.patches.crust_hue_shift`, is shared with the face's rule.
CRUST_MIN_DHUE_DEG = 8.0
#: Limits of a plausible given scale (mm per photo pixel).
MM_PER_PX_RANGE = (0.005, 5.0)

NO_SKIN = Problem(
    "no_skin", "Too little skin found: photograph the patch of skin so that it fills most of the photo."
)
TOO_DARK = Problem("too_dark", "Too dark: add light.")
TOO_BRIGHT = Problem("too_bright", "Too bright: step out of direct light or turn off the flash.")
#: Median skin L* limits, as for a face (core/quality.py).
DARK_L = 30.0
BRIGHT_L = 88.0


@dataclass(frozen=True, eq=False)
class CloseUp:
    """What the close-up check found on one photo.

    ``findings`` are :class:`~skintrack.core.lesions.Finding` objects (photo pixels, no region);
    ``mm_per_px`` the photo scale used, ``scale_assumed`` whether it was assumed
    (:data:`ASSUMED_FRAME_MM`); ``skin_share`` the share of the photo found to be skin,
    ``skin_lab`` its median CIELAB colour and ``ita_deg`` its ITA° (skin tone).
    """

    findings: tuple
    quality: Quality
    mm_per_px: float
    scale_assumed: bool
    skin_share: float
    skin_lab: tuple[float, float, float]
    ita_deg: float
    lips_found: bool
    timing_ms: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.mm_per_px > 0:
            raise ValueError("CloseUp.mm_per_px must be positive")
        if not 0.0 <= self.skin_share <= 1.0:
            raise ValueError("CloseUp.skin_share must be within 0-1")

    def to_record(self) -> dict:
        return {
            "mm_per_px": round(self.mm_per_px, 5),
            "scale_assumed": self.scale_assumed,
            "assumed_frame_mm": ASSUMED_FRAME_MM if self.scale_assumed else None,
            "skin_share": round(self.skin_share, 3),
            "skin_lab": [round(v, 2) for v in self.skin_lab],
            "ita_deg": round(self.ita_deg, 1),
            "lips_found": self.lips_found,
        }


def assumed_mm_per_px(width: int, height: int) -> float:
    """The scale taken when none is given: the longer side spans :data:`ASSUMED_FRAME_MM`."""
    return ASSUMED_FRAME_MM / max(width, height, 1)


def check_mm_per_px(mm_per_px: float) -> float:
    """A given scale, checked (``ValueError`` with one sentence when implausible)."""
    lo, hi = MM_PER_PX_RANGE
    if not np.isfinite(mm_per_px) or not lo <= mm_per_px <= hi:
        raise ValueError(
            f"a scale of {mm_per_px:g} mm per pixel is not plausible for a photo of "
            f"skin (expected {lo:g}-{hi:g})"
        )
    return float(mm_per_px)


def _hue_deg(lab: np.ndarray) -> np.ndarray:
    return np.degrees(np.arctan2(lab[..., 2], lab[..., 1]))


def _fill_holes(mask: np.ndarray) -> np.ndarray:
    import cv2

    m = np.zeros((mask.shape[0] + 2, mask.shape[1] + 2), np.uint8)
    m[1:-1, 1:-1] = mask
    cv2.floodFill(m, None, (0, 0), 2)
    return (m != 2)[1:-1, 1:-1]


def skin_by_colour(lab: np.ndarray, mmpp: float):
    """Skin, lips and the photo's skin colour of a close-up (CIELAB ``lab``, ``mmpp`` mm per px).

    Returns ``(skin, lips, skin_lab)``: ``skin`` the skin pixels with enclosed holes (lesions)
    filled, ``lips`` the lips found by colour (may be empty), ``skin_lab`` the median CIELAB of
    plain skin.
    """
    import cv2

    L_, a, b = lab[..., 0], lab[..., 1], lab[..., 2]
    hue = _hue_deg(lab)
    chroma = np.hypot(a, b)
    band = (
        (hue >= SKIN_HUE_DEG[0])
        & (hue <= SKIN_HUE_DEG[1])
        & (chroma >= SKIN_MIN_CHROMA)
        & (L_ >= SKIN_L[0])
        & (L_ <= SKIN_L[1])
    )
    if band.sum() < 50:
        return np.zeros_like(band), np.zeros_like(band), (60.0, 12.0, 15.0)
    med = np.median(lab[band], axis=0)
    skin_hue = float(np.degrees(np.arctan2(med[2], med[1])))
    dh = np.abs((hue - skin_hue + 180.0) % 360.0 - 180.0)
    near = band & (np.abs(L_ - med[0]) <= SKIN_MAX_DL) & (dh <= SKIN_MAX_DHUE_DEG)
    # The skin colour from the pixels close to the first median (lesions and lips pull less).
    plain = near & (np.abs(a - med[1]) <= L.REFERENCE_MAX_DA) & (np.abs(L_ - med[0]) <= 20.0)
    if plain.sum() >= 50:
        med = np.median(lab[plain], axis=0)
    skin_lab = (float(med[0]), float(med[1]), float(med[2]))
    # Lips: a large, elongated area clearly redder than the skin.
    k = max(1, int(round(0.6 / mmpp)))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * k + 1, 2 * k + 1))
    # Lips are pinker than skin (a hue nearer red); crusts, redder than skin too, are yellower.
    skin_hue = float(np.degrees(np.arctan2(skin_lab[2], skin_lab[1])))
    red = cv2.morphologyEx(
        ((a - skin_lab[1] >= LIP_DA) & (L_ >= SKIN_L[0]) & (hue <= skin_hue - LIP_HUE_BELOW_DEG)).astype(
            np.uint8
        ),
        cv2.MORPH_OPEN,
        kernel,
    )
    lips = np.zeros(red.shape, bool)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(red, connectivity=8)
    for i in range(1, n):
        area_mm2 = stats[i, cv2.CC_STAT_AREA] * mmpp * mmpp
        length_mm = max(stats[i, cv2.CC_STAT_WIDTH], stats[i, cv2.CC_STAT_HEIGHT]) * mmpp
        if area_mm2 >= LIP_MIN_MM2 and length_mm >= LIP_MIN_LENGTH_MM:
            comp = labels == i
            if L._elongation(comp) >= LIP_MIN_ELONGATION:
                lips |= comp
    # The mouth opening (teeth, tongue, the dark inside) is what the lips enclose.
    mouth = _fill_holes(lips) & ~lips if lips.any() else lips
    skin = cv2.morphologyEx(near.astype(np.uint8), cv2.MORPH_CLOSE, kernel).astype(bool)
    skin = _fill_holes(skin) & ~mouth
    return skin, lips, skin_lab


@dataclass(frozen=True, eq=False)
class CloseUpWork:
    """A close-up at the rules' work scale: its CIELAB image and the masks found by colour.

    What :func:`analyze_close_up` and the measurements of its settings
    (``scripts/cv_closeup.py``) share. ``mm_per_px`` is the photo's scale, ``work_mm`` the work
    image's; ``scale_x`` and ``scale_y`` are work pixels per photo pixel.
    """

    width: int
    height: int
    mm_per_px: float
    scale_assumed: bool
    scale_x: float
    scale_y: float
    work_mm: float
    lab: np.ndarray
    skin: np.ndarray
    lips: np.ndarray
    lips_grown: np.ndarray
    skin_lab: tuple[float, float, float]
    skin_share: float

    def problems(self) -> tuple[Problem, ...]:
        """Why the photo cannot show the skin (empty: it can)."""
        if self.skin_share < MIN_SKIN_SHARE:
            return (NO_SKIN,)
        if self.skin_lab[0] < DARK_L:
            return (TOO_DARK,)
        if self.skin_lab[0] > BRIGHT_L:
            return (TOO_BRIGHT,)
        return ()

    def patches(
        self,
        *,
        reference_max_db: float = REFERENCE_MAX_DB,
        max_growth: float = MAX_GROWTH,
        dark_crusts: bool = DARK_CRUSTS,
    ) -> list:
        """The rules' patches (work pixels) with these settings (default: the shipped ones);
        none when too little skin was found."""
        if self.skin_share < MIN_SKIN_SHARE:
            return []
        return L.patches_in(
            self.lab,
            self.skin_lab,
            self.work_mm,
            area=self.skin,
            skin=self.skin,
            lips=self.lips,
            lips_grown=self.lips_grown,
            reference_max_db=reference_max_db,
            reference_mm=REFERENCE_MM,
            max_growth=max_growth,
            dark_crusts=dark_crusts,
        )

    def in_photo(self, patch) -> tuple[float, float, float]:
        """A patch's centre and radius in photo pixels."""
        x = (patch.work_xy[0] + 0.5) / self.scale_x - 0.5
        y = (patch.work_xy[1] + 0.5) / self.scale_y - 0.5
        return x, y, patch.radius_work / ((self.scale_x + self.scale_y) / 2)

    def edge_radii(self, x: float, y: float, r: float) -> float:
        """How many radii ``r`` the point (photo pixels) lies from the frame."""
        return min(x, y, self.width - 1 - x, self.height - 1 - y) / r if r > 0 else float("inf")


def prepare_close_up(rgb: np.ndarray, *, mm_per_px: float | None = None) -> CloseUpWork:
    """A close-up photo at the rules' work scale, with its skin and lips found by colour."""
    import cv2

    h, w = rgb.shape[:2]
    assumed = mm_per_px is None
    mmpp = assumed_mm_per_px(w, h) if mm_per_px is None else check_mm_per_px(mm_per_px)
    scale = min(1.0, mmpp / WORK_MM_PER_PX)  # work pixels per photo pixel
    small = rgb if scale >= 1.0 else L._resample(np.ascontiguousarray(rgb), scale)
    scale_x, scale_y = small.shape[1] / w, small.shape[0] / h
    work_mm = mmpp / ((scale_x + scale_y) / 2)
    lab = cv2.cvtColor(small.astype(np.float32) * np.float32(1 / 255), cv2.COLOR_RGB2Lab)
    skin, lips, skin_lab = skin_by_colour(lab, work_mm)
    grow = max(1, int(round(L.FEATURE_MARGIN_MM / work_mm)))
    lips_grown = (
        cv2.dilate(lips.astype(np.uint8), np.ones((2 * grow + 1,) * 2, np.uint8)).astype(bool)
        if lips.any()
        else lips
    )
    return CloseUpWork(
        width=w,
        height=h,
        mm_per_px=mmpp,
        scale_assumed=assumed,
        scale_x=scale_x,
        scale_y=scale_y,
        work_mm=work_mm,
        lab=lab,
        skin=skin,
        lips=lips,
        lips_grown=lips_grown,
        skin_lab=skin_lab,
        skin_share=float(skin.mean()),
    )


def analyze_close_up(rgb: np.ndarray, *, mm_per_px: float | None = None) -> CloseUp:
    """Find wounds, crusts, pustules and cold sores on a close-up of one patch of skin.

    Parameters
    ----------
    rgb : (h, w, 3) uint8 oriented photo.
    mm_per_px : mm of skin per photo pixel; ``None``: assumed (:func:`assumed_mm_per_px`).
    """
    from skintrack.core.colour import ita_deg

    t0 = time.perf_counter()
    work = prepare_close_up(rgb, mm_per_px=mm_per_px)
    mmpp = work.mm_per_px
    patches = [
        p
        for p in work.patches()
        if p.kind != "crust" or crust_hue_shift(work.lab, work.skin, p) >= CRUST_MIN_DHUE_DEG
    ]
    findings = []
    for p in patches:
        x, y, r = work.in_photo(p)
        # A patch the frame cuts has no border to judge it by (the rules ask for skin all
        # around it): at the edge of a close-up that is a jaw shadow, hair or a frame more
        # often than a lesion, and a person centres the spot they worry about.
        if work.edge_radii(x, y, r) < BORDER_SHARE:
            continue
        findings.append(
            L.Finding(
                id=L.finding_id(p.kind, x, y),
                kind=p.kind,
                x=float(x),
                y=float(y),
                radius_px=float(r),
                diameter_mm=float(2 * r * mmpp),
                region=None,
                score=round(p.score, 3),
            )
        )
    from skintrack.core.evidence import calibrate

    findings = list(calibrate(findings, close_up=True))  # rule scores -> certainties (issue 13)
    return CloseUp(
        findings=tuple(findings),
        quality=Quality(work.problems()),
        mm_per_px=mmpp,
        scale_assumed=work.scale_assumed,
        skin_share=work.skin_share,
        skin_lab=work.skin_lab,
        ita_deg=float(ita_deg(work.skin_lab[0], work.skin_lab[2])),
        lips_found=bool(work.lips.any()),
        timing_ms={"close_up": (time.perf_counter() - t0) * 1e3},
    )
