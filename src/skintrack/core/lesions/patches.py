"""Open wounds, crusts and cold sores: rules on colour differences from the person's own skin,
sized in millimetres (no labelled photos exist for them; see ADR 0202 and 0207)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from skintrack.core.face import FACE_OVAL
from skintrack.core.lesions.shapes import _components, _elongation
from skintrack.core.lesions.work import LesionWork, _halve
from skintrack.core.regions import EXCLUDE, LIPS

#: Kind rules: CIELAB units relative to the person's (local) skin; sizes in mm.
#: Open wound: raw red surface, a* this far above skin, L* at least this far below it.
WOUND_DA = 14.0
WOUND_DL = -4.0
#: Crust: yellow-brown (b* above skin, L* off it either way) or dark-brown (L* far below skin,
#: not grey).
CRUST_DB = 8.0
CRUST_DL = -8.0
CRUST_DARK_DL = -28.0
#: Dark crusts must keep at least this share of the skin's chroma (hair and shadow are grey).
CRUST_DARK_CHROMA = 0.8
#: Patches smaller than this (mm across) are left to the acne detector; beside the lips, spots of
#: at least SPOT_MIN_SHARE of that area count toward a cold-sore cluster.
PATCH_MIN_MM = 3.0
SPOT_MIN_SHARE = 0.07
#: Length over width above which a patch is a fold shadow or a hair, not a lesion.
PATCH_MAX_ELONGATION = 2.5
#: The local skin colour a patch is compared with: a blur of about this many mm.
REFERENCE_MM = 12.0
#: Pixels further than this (CIELAB units, any channel) from the median skin are not skin for the
#: local reference (eye masks, hair, background, lesions themselves).
REFERENCE_MAX_DIFF = 25.0
REFERENCE_MAX_DA = 8.0
#: Margin (mm) kept around the eyes for patches (periorbital darkening is common).
EYE_MARGIN_MM = 6.0
#: A cold sore's inflamed base beside the lip: a* this far above the local skin.
COLD_SORE_DA = 10.0
#: A patch must end at a border: the colour difference from the local skin measured in a ring
#: EDGE_RING_MM wide around it may be at most EDGE_MAX_SHARE of the difference inside it.
EDGE_RING_MM = 1.5
EDGE_MAX_SHARE = 0.5
#: Growing a patch takes pixels at least this share as different; growth beyond EDGE_MAX_GROWTH
#: times the core's area means the colour change has no border.
EDGE_GROW_SHARE = 0.4
EDGE_MAX_GROWTH = 8.0
#: Around the lips (this many mm beyond their outline) patches are searched at full resolution.
LIP_ZONE_MM = 8.0
#: Vesicles: pale spots at least this much lighter (L*) than the local skin.
VESICLE_DL = 8.0
#: A red patch up to this size (mm) whose centre is this much lighter (L*) than the local skin
#: is a pustule.
PUSTULE_MAX_MM = 7.0
PUSTULE_HEAD_DL_PATCH = 6.0
#: Margin (mm) kept around the lips, and twice it around eyes, brows and nostrils.
FEATURE_MARGIN_MM = 1.5
#: A wound, crust or spot cluster whose edge is within this distance of the lip border (mm) is a
#: cold sore (herpes labialis sits on or just beside the vermilion border).
LIP_BORDER_MM = 4.0
#: A cluster of at least this many small spots within CLUSTER_MM of each other beside the lip
#: border is a cold sore (grouped vesicles).
CLUSTER_MIN_SPOTS = 3
CLUSTER_MM = 6.0
#: On a face, a crust must differ in hue from the skin around it by at least this many degrees of
#: CIELAB hue either way (core: the patch's radius; around it: the skin 2-3.5 radii out): a honey
#: crust is yellower, a blood scab redder, a fold's shadow keeps the skin's hue (ADR 0211
#: amendments of 2026-12-01; "yellower" only lost every painted brown scab on aptus_5.png, 8-16
#: degrees redder than its warm-lit skin, and removed no more clear-face crusts). ``None``: off.
FACE_CRUST_MIN_DHUE_DEG: float | None = 6.0
#: A cold sore on a face must differ in hue from the skin around it by at least this many degrees
#: either way: its base is redder than skin, its vesicles and crusts yellower; a shadow has the
#: skin's hue. ``None``: off.
FACE_COLD_SORE_MIN_DHUE_DEG: float | None = 6.0
#: On a face, a wound or crust is a crease's shadow when the shading it is the darkest part of is
#: a line: the patch grown along the pixels that differ from the skin as it does (the hysteresis
#: of :func:`_sharp_edged`) is longer than wide by more than this, the limit a patch's own core
#: already has (ADR 0211, third amendment). ``None``: off (the close-up keeps it off).
FACE_MAX_GROWN_ELONGATION: float | None = PATCH_MAX_ELONGATION
#: The mouth's corners (mesh landmarks 61 and 291): a patch centred within COMMISSURE_MM of one
#: and smaller than COMMISSURE_MAX_MM across is the commissure's crease, whose shadow is 3-4 mm
#: on most faces. ``None``: off.
COMMISSURE_MM: float | None = 5.0
COMMISSURE_MAX_MM = 5.0
MOUTH_CORNERS = (61, 291)
#: A face cold sore wider than this (mm) is not one: herpes labialis is a cluster of 1-2 mm
#: vesicles, rarely more than 15-20 mm across. ``None``: off.
FACE_COLD_SORE_MAX_MM: float | None = 25.0


@dataclass(frozen=True)
class Patch:
    kind: str  # open_wound | crust | cold_sore
    work_xy: tuple[float, float]
    radius_work: float
    score: float


def _local_reference(lab: np.ndarray, weight: np.ndarray, sigma: float) -> np.ndarray:
    """Smooth local skin colour (CIELAB) at ``sigma`` work pixels: a blur of skin pixels only
    (normalised convolution, so hair, background or an eye mask next to the skin do not pull it),
    computed at quarter resolution."""
    import cv2

    h, w = lab.shape[:2]
    if h < 8 or w < 8:
        size = (max(1, w // 4), max(1, h // 4))
        wt = cv2.resize(weight.astype(np.float32), size, interpolation=cv2.INTER_AREA)
        num = cv2.resize(lab * weight[..., None].astype(np.float32), size, interpolation=cv2.INTER_AREA)
    else:
        wt = _halve(_halve(weight.astype(np.float32)))
        num = _halve(_halve(lab * weight[..., None].astype(np.float32)))
    s = max(sigma / 4, 0.5)
    wt = cv2.GaussianBlur(wt, (0, 0), s)
    num = cv2.GaussianBlur(num, (0, 0), s)
    ref = num / np.maximum(wt, 1e-3)[..., None]
    return cv2.resize(ref, (w, h), interpolation=cv2.INTER_LINEAR)


def _feature_mask(work: LesionWork, names, grow_px: int) -> np.ndarray:
    import cv2

    h, w = work.mask.shape
    m = np.zeros((h, w), np.uint8)
    polys = [np.round(work.xy[list(EXCLUDE[name])]).astype(np.int32) for name in names]
    for poly in polys:
        cv2.fillPoly(m, [poly], 1)
    if grow_px > 0:
        # Only the box around the features (grown by the margin) can change: dilating that box
        # instead of the whole image costs a fraction (the eyes' margin is a 33-px ellipse).
        pts = np.concatenate(polys)
        x0, y0 = np.maximum(pts.min(0) - grow_px - 1, 0)
        x1, y1 = np.minimum(pts.max(0) + grow_px + 2, (w, h))
        if x1 <= x0 or y1 <= y0:
            return m.astype(bool)
        k = 2 * grow_px + 1
        m[y0:y1, x0:x1] = cv2.dilate(m[y0:y1, x0:x1], cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    return m.astype(bool)


def _half(work: LesionWork) -> LesionWork:
    """The work image at half resolution (colour only): a quarter of the pixels to look at."""
    h, w = work.lab.shape[:2]
    lab = _halve(work.lab)
    return LesionWork(
        scale=work.scale / 2,
        origin=work.origin,
        lab=lab,
        mask=work.mask[: 2 * (h // 2) : 2, : 2 * (w // 2) : 2],
        xy=work.xy / 2,
        skin_lab=work.skin_lab,
        dog=work.dog[:0],
        roll_rad=work.roll_rad,
        mm_per_work_px=work.mm_per_work_px * 2,
    )


def _disc_lab(lab: np.ndarray, mask: np.ndarray, xy, r0: float, r1: float):
    """Mean CIELAB of ``mask`` pixels between ``r0`` and ``r1`` pixels of ``xy`` (None: none)."""
    h, w = mask.shape
    x, y = xy
    x0, x1 = max(0, int(x - r1) - 1), min(w, int(x + r1) + 2)
    y0, y1 = max(0, int(y - r1) - 1), min(h, int(y + r1) + 2)
    yy, xx = np.mgrid[y0:y1, x0:x1]
    d = np.hypot(xx - x, yy - y)
    sel = (d >= r0) & (d <= r1) & mask[y0:y1, x0:x1]
    return lab[y0:y1, x0:x1][sel].mean(0) if sel.any() else None


def crust_hue_shift(lab: np.ndarray, skin: np.ndarray, patch) -> float:
    """How much yellower in hue (degrees) a patch's core is than the skin around it."""
    r = max(float(patch.radius_work), 1.5)
    core = _disc_lab(lab, np.ones(skin.shape, bool), patch.work_xy, 0.0, r)
    ring = _disc_lab(lab, skin, patch.work_xy, 2.0 * r, 3.5 * r)
    if core is None or ring is None:
        return 0.0
    return float(np.degrees(np.arctan2(core[2], core[1]) - np.arctan2(ring[2], ring[1])))


def find_patches(work: LesionWork) -> list[Patch]:
    """Open wounds and crusts (colour patches) and cold sores (at the lip border), work pixels.

    Colours are compared with the skin's smooth local colour (a blur of about
    :data:`REFERENCE_MM`), so uneven light and the person's own complexion do not read as lesions.
    The search runs at half the work resolution (about 0.8 mm per pixel on an adult face): the
    smallest patch (3 mm) still spans several pixels, and it costs a quarter as much.
    """
    half = [
        Patch(p.kind, (2 * p.work_xy[0] + 0.5, 2 * p.work_xy[1] + 0.5), 2 * p.radius_work, p.score)
        for p in _find_patches(_half(work))
    ]
    # Vesicles are 1-2 mm: around the mouth the search runs again at full resolution, on a crop
    # wide enough for the local skin reference, and decides everything there.
    mm = work.mm_per_work_px
    lips = work.xy[list(LIPS)]
    (lx0, ly0), (lx1, ly1) = lips.min(0), lips.max(0)
    zone = LIP_ZONE_MM / mm
    ctx = zone + REFERENCE_MM / mm
    h, w = work.lab.shape[:2]
    x0, y0 = max(0, int(lx0 - ctx)), max(0, int(ly0 - ctx))
    x1, y1 = min(w, int(lx1 + ctx) + 1), min(h, int(ly1 + ctx) + 1)

    def in_zone(p: Patch) -> bool:
        return lx0 - zone <= p.work_xy[0] <= lx1 + zone and ly0 - zone <= p.work_xy[1] <= ly1 + zone

    crop = LesionWork(
        scale=work.scale,
        origin=work.origin,
        lab=work.lab[y0:y1, x0:x1],
        mask=work.mask[y0:y1, x0:x1],
        xy=work.xy - (x0, y0),
        skin_lab=work.skin_lab,
        dog=work.dog[:0],
        roll_rad=work.roll_rad,
        mm_per_work_px=mm,
    )
    near_mouth = [
        Patch(p.kind, (p.work_xy[0] + x0, p.work_xy[1] + y0), p.radius_work, p.score)
        for p in _find_patches(crop)
    ]
    out: list[Patch] = []
    # One lesion may show as a cluster and as a patch: keep the surest of overlapping ones.
    for p in sorted(
        [p for p in half if not in_zone(p)] + [p for p in near_mouth if in_zone(p)], key=lambda p: -p.score
    ):
        if all(
            np.hypot(p.work_xy[0] - q.work_xy[0], p.work_xy[1] - q.work_xy[1])
            > max(p.radius_work, q.radius_work)
            for q in out
        ):
            out.append(p)
    return _hue_checked(work, _plausible_on_face(work, out))


def _plausible_on_face(work: LesionWork, patches: list[Patch]) -> list[Patch]:
    """Drop face patches that are a mouth corner's crease or too large for a cold sore.

    Where the lips meet (the commissure) the skin folds in, and its shadow is a small dark, often
    reddish, spot right at the corner on most faces; a cold sore or crust there is larger than
    the crease (:data:`COMMISSURE_MAX_MM`). Herpes labialis is a cluster of small vesicles: a
    "cold sore" wider than :data:`FACE_COLD_SORE_MAX_MM` is the skin's own shading.
    """
    mm = work.mm_per_work_px
    corners = work.xy[list(MOUTH_CORNERS)]

    def keep(p: Patch) -> bool:
        d_mm = 2 * p.radius_work * mm
        if p.kind == "cold_sore" and FACE_COLD_SORE_MAX_MM is not None and d_mm > FACE_COLD_SORE_MAX_MM:
            return False
        if COMMISSURE_MM is not None and d_mm < COMMISSURE_MAX_MM:
            near = np.hypot(corners[:, 0] - p.work_xy[0], corners[:, 1] - p.work_xy[1]).min() * mm
            if near <= COMMISSURE_MM:
                return False
        return True

    return [p for p in patches if keep(p)]


def _hue_checked(work: LesionWork, patches: list[Patch]) -> list[Patch]:
    """Drop face crusts and cold sores whose hue is within the limit of the skin's around them.

    Shading in folds (beside the nose, under the lip, the dimples at the mouth's corners) makes
    skin darker and more saturated at much the same hue, and the crust rule's "yellower in b*"
    holds for it too; the ring around a patch is the searched skin without eyes, brows, nostrils
    and lips.
    """
    limits = {"crust": FACE_CRUST_MIN_DHUE_DEG, "cold_sore": FACE_COLD_SORE_MIN_DHUE_DEG}
    if not any(limits[p.kind] is not None for p in patches if p.kind in limits):
        return patches
    grow = max(1, int(round(FEATURE_MARGIN_MM / work.mm_per_work_px)))
    skin = work.mask & ~_feature_mask(
        work, ("lips", "right_brow", "left_brow", "right_nostril", "left_nostril"), grow
    )

    def keep(p: Patch) -> bool:
        limit = limits.get(p.kind)
        if limit is None:
            return True
        return abs(crust_hue_shift(work.lab, skin, p)) >= limit

    return [p for p in patches if keep(p)]


def _find_patches(work: LesionWork) -> list[Patch]:
    """The patch rules on a face's work image: the masks come from the face mesh."""
    import cv2

    lab = work.lab
    mmpp = work.mm_per_work_px
    oval = np.zeros(lab.shape[:2], np.uint8)
    cv2.fillPoly(oval, [np.round(work.xy[list(FACE_OVAL)]).astype(np.int32)], 1)
    grow = max(1, int(round(FEATURE_MARGIN_MM / mmpp)))
    lips = _feature_mask(work, ("lips",), 0)
    lips_grown = _feature_mask(work, ("lips",), grow)
    # Eyes, brows (hair is dark) and nostrils (deep shadow) are never searched.
    others = _feature_mask(work, ("right_brow", "left_brow", "right_nostril", "left_nostril"), 2 * grow)
    # Dark circles and lid shadows under the eyes mimic crusts: a wider margin there.
    others |= _feature_mask(work, ("right_eye", "left_eye"), max(1, int(round(EYE_MARGIN_MM / mmpp))))
    return patches_in(
        lab,
        work.skin_lab,
        mmpp,
        area=oval.astype(bool),
        skin=oval.astype(bool) & ~others,
        lips=lips,
        lips_grown=lips_grown,
        max_grown_elongation=FACE_MAX_GROWN_ELONGATION,
    )


def patches_in(
    lab: np.ndarray,
    skin_lab,
    mmpp: float,
    *,
    area: np.ndarray,
    skin: np.ndarray,
    lips: np.ndarray,
    lips_grown: np.ndarray,
    reference_max_db: float = REFERENCE_MAX_DIFF,
    reference_mm: float = REFERENCE_MM,
    max_growth: float = EDGE_MAX_GROWTH,
    dark_crusts: bool = True,
    max_grown_elongation: float | None = None,
) -> list[Patch]:
    """Open wounds, crusts, pustules and cold sores on a CIELAB image, by the rules above.

    ``area`` is where the local skin reference may be learnt (the face oval; on a close-up, the
    skin found by colour), ``skin`` where patches are searched, ``lips`` the lips (cold sores sit
    on and beside their border; an empty mask: none in view) and ``lips_grown`` the lips with a
    margin that the red and dark rules leave alone. ``mmpp`` is mm per pixel of ``lab``.
    ``reference_max_db`` keeps pixels this much yellower (b*) than the skin out of the local
    reference, ``reference_mm`` is the reference's blur, ``max_growth`` the growth beyond which a
    patch has no border (:func:`_sharp_edged`), and ``dark_crusts`` whether the dark-crust rule
    applies: the face keeps the defaults; the close-up (:mod:`skintrack.core.closeup`) sets
    them from its measurements. ``max_grown_elongation`` (the face's
    :data:`FACE_MAX_GROWN_ELONGATION`; ``None``: off) drops a wound or crust whose grown patch is
    a line (:func:`_sharp_edged`).
    """
    import cv2

    # Channel by channel: a max over the last axis of three is a slow reduction in numpy.
    # Red spots are kept out of their own reference with a tighter a* limit.
    plain = np.ones(lab.shape[:2], bool)
    for c, limit in enumerate((REFERENCE_MAX_DIFF, REFERENCE_MAX_DA, reference_max_db)):
        plain &= np.abs(lab[..., c] - np.float32(skin_lab[c])) <= limit
    # The lips are redder than skin: left out, they cannot hide a red patch beside them.
    ref = _local_reference(lab, area & plain & ~lips_grown, reference_mm / mmpp)
    dl = lab[..., 0] - ref[..., 0]
    da = lab[..., 1] - ref[..., 1]
    db = lab[..., 2] - ref[..., 2]
    chroma = np.hypot(lab[..., 1], lab[..., 2])
    skin_chroma = float(np.hypot(skin_lab[1], skin_lab[2]))
    raw = (da >= WOUND_DA) & (dl <= WOUND_DL)
    # Honey-yellow crusts are darker than light skin and lighter than dark skin: both count.
    # A crust is yellower than it is red (dried serum, brown blood); a patch redder than it is
    # yellow is inflamed or shadowed skin (dark circles beside a reddened cheek), not a crust.
    crust = ((db >= CRUST_DB) & (np.abs(dl) >= -CRUST_DL) & (da < WOUND_DA) & (db >= da)) | (
        (dl <= CRUST_DARK_DL)
        & (chroma >= CRUST_DARK_CHROMA * skin_chroma)
        & (da >= 0)
        & (db >= 0)
        & dark_crusts
    )
    # Lips are red and often darker: red/dark rules look at skin only, so the lip border itself
    # cannot read as a wound; a cold sore shows as a patch on the skin touching that border.
    raw &= skin & ~lips_grown
    crust &= skin & ~lips_grown
    lip_dist = (
        cv2.distanceTransform((~lips).astype(np.uint8), cv2.DIST_L2, 3) * mmpp
        if lips.any()
        else np.full(lab.shape[:2], np.inf, np.float32)
    )
    min_area = np.pi * (PATCH_MIN_MM / 2 / mmpp) ** 2
    kernel = np.ones((3, 3), np.uint8)
    found: list[tuple[str, np.ndarray, float]] = []
    bases: list[tuple[int, tuple[float, float, float, float]]] = []
    spots = []
    # The inflamed base of a cold sore beside the lip: red, whatever its lightness.
    base = (da >= COLD_SORE_DA) & skin & ~lips_grown & (lip_dist <= LIP_BORDER_MM) & ~raw
    for kind, m in (("open_wound", raw), ("crust", crust), ("cold_sore", base)):
        m = cv2.morphologyEx(m.astype(np.uint8), cv2.MORPH_OPEN, kernel)
        labels, comps = _components(m, min_area * SPOT_MIN_SHARE)
        for i, area, (x, y, bw, bh), _ in comps:
            comp = labels[y : y + bh, x : x + bw] == i
            near_lip = float(lip_dist[y : y + bh, x : x + bw][comp].min()) <= LIP_BORDER_MM
            if kind == "cold_sore" and not near_lip:
                continue
            # A cold sore's red base counts from half the patch size: its vesicles decide.
            if area < (min_area / 4 if kind == "cold_sore" else min_area):
                if near_lip and kind != "cold_sore":
                    spots.append((x + bw / 2, y + bh / 2, float(np.sqrt(area / np.pi))))
                continue
            # Shadows in folds and hair strands are long and thin; lesions are compact.
            if _elongation(comp) > PATCH_MAX_ELONGATION:
                continue
            if kind != "cold_sore" and not _sharp_edged(
                comp,
                (x, y),
                dl,
                da,
                db,
                mmpp,
                max_growth=max_growth,
                ignore=lips_grown,
                max_elongation=max_grown_elongation,
            ):
                continue
            full = np.zeros(lab.shape[:2], bool)
            full[y : y + bh, x : x + bw] = comp
            sel = full
            strength = float(np.mean(da[sel])) if kind == "open_wound" else float(np.mean(db[sel] - dl[sel]))
            found.append(("cold_sore" if near_lip else kind, full, strength))
            if kind == "cold_sore":
                bases.append((len(found) - 1, (x - bw / 2, y - bh / 2, x + 1.5 * bw, y + 1.5 * bh)))
    # Vesicles: small pale domes on the skin beside the lip border.
    pale = (dl >= VESICLE_DL) & skin & ~lips_grown & (lip_dist <= LIP_BORDER_MM)
    _, comps = _components(pale.astype(np.uint8), min_area * SPOT_MIN_SHARE, max_area=4 * min_area)
    if comps:
        # A vesicle sits on a red base; a pale spot on plain skin is a highlight.
        k = 2 * max(1, int(round(1.5 / mmpp))) + 1
        red_around = cv2.dilate(da, np.ones((k, k), np.uint8))
    for _, area, _, (fx, fy) in comps:
        if red_around[int(round(fy)), int(round(fx))] < COLD_SORE_DA:
            continue
        spots.append((fx, fy, float(np.sqrt(area / np.pi))))
    # A red patch beside the lip is a cold sore only with vesicles or small crusts on it; alone it
    # is the lip's own colour running past the landmark outline.
    drop = {
        i
        for i, (bx0, by0, bx1, by1) in bases
        if sum(bx0 <= sx <= bx1 and by0 <= sy <= by1 for sx, sy, _ in spots) < 2
    }
    found = [f for i, f in enumerate(found) if i not in drop]
    out = _merge_patches(found, dl, mmpp)
    out.extend(_spot_clusters(spots, mmpp))
    return out


def _sharp_edged(
    comp,
    xy,
    dl,
    da,
    db,
    mmpp: float,
    ignore: np.ndarray,
    max_growth: float = EDGE_MAX_GROWTH,
    max_elongation: float | None = None,
) -> bool:
    """Whether a patch stands out from the skin right around it.

    The patch is first grown to the pixels that differ from the local skin at least
    :data:`EDGE_GROW_SHARE` as much as its core does (hysteresis, so a crust whose colour varies
    is taken whole); then the skin in a ring :data:`EDGE_RING_MM` wide around it must be close to
    the local skin colour. A crust or wound ends at a border; a soft shadow (beside the nose,
    under a fold) fades out and keeps growing, so the ring around it is still dark. Pixels in
    ``ignore`` (the lips) take no part: a sore beside the lip
    must not be judged by the lip's own red. With ``max_elongation``, a grown patch longer than
    wide by more than that is the darkest part of a crease's shadow, which runs along the fold.
    """
    import cv2

    x, y = xy
    g = max(1, int(round(EDGE_RING_MM / mmpp)))
    pad = 3 * g + max(comp.shape)
    h, w = dl.shape
    x0, y0 = max(0, x - pad), max(0, y - pad)
    x1, y1 = min(w, x + comp.shape[1] + pad), min(h, y + comp.shape[0] + pad)
    core = np.zeros((y1 - y0, x1 - x0), np.uint8)
    core[y - y0 : y - y0 + comp.shape[0], x - x0 : x - x0 + comp.shape[1]] = comp
    d = np.stack([dl[y0:y1, x0:x1], da[y0:y1, x0:x1], db[y0:y1, x0:x1]], -1)
    core_diff = d[core.astype(bool)].mean(0)
    inside = float(np.linalg.norm(core_diff))
    # Grow along pixels that differ from the skin in the same direction as the core does.
    skip = ignore[y0:y1, x0:x1]
    along = ((d @ (core_diff / max(inside, 1e-6))) >= EDGE_GROW_SHARE * inside) & ~skip
    n, labels = cv2.connectedComponents(along.astype(np.uint8) | core, connectivity=8)
    grown = labels == labels[core.astype(bool)][0]
    if grown.sum() > max_growth * core.sum():
        return False  # it keeps spreading: a shadow or uneven light, not a lesion
    if max_elongation is not None and _elongation(grown) > max_elongation:
        return False  # the shading runs along a line: a crease, not a lesion
    m = grown.astype(np.uint8)
    ring = cv2.dilate(m, np.ones((2 * g + 1, 2 * g + 1), np.uint8)).astype(bool) & ~grown & ~skip
    if not ring.any():
        return True
    around = float(np.linalg.norm(d[ring].mean(0)))
    return bool(around <= EDGE_MAX_SHARE * inside)


def _merge_patches(found, dl: np.ndarray, mm_per_px: float) -> list[Patch]:
    """Touching wound and crust components are one lesion (a scab on a wound); the kind of the
    larger part wins, and a cold sore wins over both. A small red patch with a pale centre is a
    pustule (white head on a red base), not a wound."""
    import cv2

    if not found:
        return []
    r_pustule = PUSTULE_MAX_MM / 2 / mm_per_px
    union = np.zeros(found[0][1].shape, np.uint8)
    for _, m, _ in found:
        union |= m
    union = cv2.dilate(union, np.ones((5, 5), np.uint8))
    n, labels = cv2.connectedComponents(union, connectivity=8)
    out = []
    for g in range(1, n):
        parts = [(k, m, s) for k, m, s in found if labels[m].max() == g]
        if not parts:
            continue
        area = {k: 0 for k, _, _ in parts}
        for k, m, _ in parts:
            area[k] += int(m.sum())
        kind = "cold_sore" if "cold_sore" in area else max(area, key=lambda k: area[k])
        allm = np.zeros_like(parts[0][1])
        for _, m, _ in parts:
            allm |= m
        ys, xs = np.nonzero(allm)
        strength = max(s for _, _, s in parts)
        cx, cy, r = float(xs.mean()), float(ys.mean()), float(np.sqrt(len(xs) / np.pi))
        if kind == "open_wound":
            # Look for the head in the (filled) centre: the pale head is not red enough to be
            # part of the raw mask.
            y0, y1 = max(0, int(cy - r / 2)), int(cy + r / 2) + 1
            x0, x1 = max(0, int(cx - r / 2)), int(cx + r / 2) + 1
            centre = dl[y0:y1, x0:x1]
            if centre.size and float(centre.max()) >= PUSTULE_HEAD_DL_PATCH and r <= r_pustule:
                kind = "pustule"
        out.append(Patch(kind, (cx, cy), r, float(np.clip(0.5 + strength / 60.0, 0.5, 0.99))))
    return out


def _spot_clusters(spots, mmpp: float) -> list[Patch]:
    if len(spots) < CLUSTER_MIN_SPOTS:
        return []
    pts = np.array([(x, y) for x, y, _ in spots])
    link = CLUSTER_MM / mmpp
    n = len(pts)
    group = list(range(n))

    def root(i):
        while group[i] != i:
            group[i] = group[group[i]]
            i = group[i]
        return i

    for i in range(n):
        for j in range(i + 1, n):
            if np.hypot(*(pts[i] - pts[j])) <= link:
                group[root(i)] = root(j)
    out = []
    for g in {root(i) for i in range(n)}:
        members = [i for i in range(n) if root(i) == g]
        if len(members) >= CLUSTER_MIN_SPOTS:
            c = pts[members].mean(0)
            r = float(np.max(np.hypot(*(pts[members] - c).T)) + max(spots[i][2] for i in members))
            out.append(
                Patch("cold_sore", (float(c[0]), float(c[1])), r, float(min(0.95, 0.5 + 0.1 * len(members))))
            )
    return out
