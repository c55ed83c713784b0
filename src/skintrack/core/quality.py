"""Capture quality: is this photo good enough to measure skin from?

Each problem is a short sentence a person can act on; the live preview shows the same sentences.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Faces are resampled to this width before sharpness is measured, so blur is judged relative to
#: face size (a sharp small face and a sharp large face score alike).
SHARPNESS_FACE_WIDTH = 256
#: RMS Laplacian on the 256-px face, scaled to a mean grey of 128, below which a photo reads as
#: blurred. Set from the sample faces (sharp: 3.7-19) and the same faces blurred with a Gaussian of
#: sigma 1.5 % of face width (all under 2.0); see tests/core/test_quality.py.
MIN_SHARPNESS = 2.8
MAX_ABS_YAW_DEG = 15.0
MAX_ABS_PITCH_DEG = 15.0
MIN_FACE_WIDTH_PX = 150
MIN_FACE_FRACTION = 0.18  # face width / shorter image side
DARK_L = 30.0  # median skin L* below: underexposed
BRIGHT_L = 88.0  # median skin L* above: overexposed
MAX_CLIPPED_FRACTION = 0.08  # share of face-skin samples with a channel at 250 or more
MAX_SIDE_L_DIFFERENCE = 12.0  # L* between the cheeks


@dataclass(frozen=True)
class Problem:
    code: str
    message: str

    def __post_init__(self) -> None:
        if not self.code or not self.message:
            raise ValueError("a quality problem needs a code and a message")


@dataclass(frozen=True)
class Quality:
    problems: tuple[Problem, ...]
    sharpness: float | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(p.code for p in self.problems)


NO_FACE = Problem("no_face", "No face found: face the camera with your whole face in the frame.")
MANY_FACES = Problem("several_faces", "More than one face in the photo: make sure only you are in the frame.")
TOO_SMALL = Problem("face_too_small", "Move closer: your face fills too little of the photo.")
BLURRED = Problem("blurred", "The photo is blurred: hold still and let the camera focus.")
TOO_DARK = Problem("too_dark", "Too dark: add light from the front.")
TOO_BRIGHT = Problem("too_bright", "Too bright: step out of direct light or turn off the flash.")
TURNED = Problem("turned", "Turn your face toward the camera.")
TILTED = Problem("tilted", "Hold your head level: chin neither up nor down.")
UNEVEN = Problem("uneven_light", "Light falls unevenly: face the light so both cheeks are lit.")


def sharpness(rgb: np.ndarray, box: tuple[int, int, int, int]) -> float:
    """Mean squared Laplacian response over the face resampled to a fixed width."""
    import cv2

    x0, y0, x1, y1 = box
    crop = rgb[y0:y1, x0:x1]
    if crop.size == 0:
        return 0.0
    # Big faces are first reduced by a whole number with block means (OpenCV's fast path for an
    # integer factor; nearest-pixel decimation before 2026-12 aliased), then by the area resize of
    # what is left, by two to four.
    h, w = crop.shape[:2]
    step = w // (SHARPNESS_FACE_WIDTH * 2)
    if step >= 2:
        crop = cv2.resize(
            np.ascontiguousarray(crop[: h - h % step, : w - w % step]),
            (w // step, h // step),
            interpolation=cv2.INTER_AREA,
        )
    h, w = crop.shape[:2]
    tw = SHARPNESS_FACE_WIDTH
    th = max(8, int(round(h * tw / max(w, 1))))
    interp = cv2.INTER_AREA if w > tw else cv2.INTER_CUBIC
    grey = cv2.cvtColor(
        cv2.resize(np.ascontiguousarray(crop), (tw, th), interpolation=interp), cv2.COLOR_RGB2GRAY
    ).astype(np.float32)
    lap = cv2.Laplacian(grey, cv2.CV_32F, ksize=1)
    inner = lap[th // 8 : th - th // 8, tw // 8 : tw - tw // 8]
    # Relative to brightness, so a dim but sharp photo is not called blurred.
    mean = float(grey[th // 8 : th - th // 8, tw // 8 : tw - tw // 8].mean())
    return float(np.mean(inner * inner) ** 0.5) * 128.0 / max(mean, 8.0)


def assess(rgb: np.ndarray, detection, regions=None, *, scale: float = 1.0) -> Quality:
    """Judge one photo from its face detection and (if a single face) its regions.

    ``detection`` and ``regions`` are in pixels of ``rgb``; ``scale`` is how many pixels of the
    photo one pixel of ``rgb`` is (``rgb`` decoded at a reduced scale): sizes are judged on the
    photo itself.
    """
    if detection.count == 0:
        return Quality((NO_FACE,))
    if detection.count > 1:
        return Quality((MANY_FACES,))
    face = detection.face
    problems: list[Problem] = []
    h, w = rgb.shape[:2]
    face_w = face.width_px * scale
    if face_w < MIN_FACE_WIDTH_PX or face_w < MIN_FACE_FRACTION * min(w, h) * scale:
        problems.append(TOO_SMALL)
    sharp = sharpness(rgb, face.box)
    if sharp < MIN_SHARPNESS:
        problems.append(BLURRED)
    if regions is not None:
        labs = [r.lab_median for r in regions.regions.values() if r.lab_median is not None]
        if labs:
            med_l = float(np.median([lab[0] for lab in labs]))
            clipped = _clipped_fraction(regions)
            if med_l < DARK_L:
                problems.append(TOO_DARK)
            elif med_l > BRIGHT_L or clipped > MAX_CLIPPED_FRACTION:
                problems.append(TOO_BRIGHT)
        lc, rc = regions["left_cheek"].lab_median, regions["right_cheek"].lab_median
        turned = abs(face.pose.yaw) > MAX_ABS_YAW_DEG
        if lc and rc and not turned and abs(lc[0] - rc[0]) > MAX_SIDE_L_DIFFERENCE:
            problems.append(UNEVEN)
    if abs(face.pose.yaw) > MAX_ABS_YAW_DEG:
        problems.append(TURNED)
    if abs(face.pose.pitch) > MAX_ABS_PITCH_DEG:
        problems.append(TILTED)
    return Quality(tuple(problems), sharpness=sharp)


def _clipped_fraction(regions) -> float:
    import cv2

    union = np.zeros(regions.work_rgb.shape[:2], bool)
    for r in regions.regions.values():
        union |= r.mask
    total = int(np.count_nonzero(union))
    if not total:
        return 0.0
    r, g, b = cv2.split(regions.work_rgb)
    clipped = cv2.max(cv2.max(r, g), b) >= 250
    return int(np.count_nonzero(clipped & union)) / total
