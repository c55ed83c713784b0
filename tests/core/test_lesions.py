"""Lesion finding on real sample faces: rendered wounds, crusts, pustules and cold sores, clean
faces, and the acne detector against the ACNE04 expert marks (when the data set is present)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from skintrack.core import lesions as L
from skintrack.core.lesion_scoring import score_folder
from skintrack.core.regions import REGION_NAMES, compute_regions
from skintrack.simulate.lesions import place, render

#: Faces on which the patch rules were checked against renders (a light, a medium and a dark
#: complexion; see docs/detectors.md).
RENDER_FACES = ["0-f15-hao-ph.jpg", "aptus_2.png", "obama.jpg"]
#: Sample faces without visible wounds, crusts, pustules or cold sores.
CLEAN_FACES = ["0-f15-hao-ph.jpg", "45-m7-di-ph.jpg", "obama.jpg", "single_face.jpg"]
#: A rendered lesion counts as found when a finding of its kind lies within this share of its
#: radius from its centre.
FOUND_WITHIN = 1.0
#: Measured diameters may differ from the painted ones by this factor either way (soft edges).
SIZE_FACTOR = 2.0


def _analyse(engine, rgb):
    face = engine.detect(rgb).face
    assert face is not None
    return L.find_lesions(rgb, face, compute_regions(rgb, face)), face


def _found(findings, lesion, kind):
    return [
        f
        for f in findings
        if f.kind == kind
        and math.hypot(f.x - lesion.x, f.y - lesion.y) <= FOUND_WITHIN * max(lesion.radius_px, 4)
    ]


@pytest.mark.parametrize("name", RENDER_FACES)
@pytest.mark.parametrize(
    "kind, where, mm, region",
    [
        ("open_wound", "right_cheek", 8.0, "right_cheek"),
        ("crust", "forehead", 6.0, "forehead"),
        ("pustule", "left_cheek", 4.0, "left_cheek"),
    ],
)
def test_rendered_lesions_are_found_named_sized_and_placed(
    engine, load_sample, name, kind, where, mm, region
):
    photo = load_sample(name)
    face = engine.detect(photo.rgb).face
    rgb, lesion = render(photo.rgb, face, kind, where, mm, seed=7)
    findings, _ = _analyse(engine, rgb)
    hits = _found(findings, lesion, kind)
    assert hits, f"no {kind} found near {lesion}: {[(f.kind, f.x, f.y) for f in findings]}"
    best = max(hits, key=lambda f: f.score)
    assert best.region == region
    assert mm / SIZE_FACTOR <= best.diameter_mm <= mm * SIZE_FACTOR
    # The verdict's rule: these kinds postpone treatment of that region.
    assert kind in L.KINDS and best.score >= 0.5


@pytest.mark.parametrize("name", ["aptus_2.png", "0-f15-hao-ph.jpg"])
def test_rendered_cold_sore_beside_the_lip_is_found(engine, load_sample, name):
    photo = load_sample(name)
    face = engine.detect(photo.rgb).face
    at = place(face, "lip_border", (0.0, -3.0))  # on the skin just above the vermilion border
    rgb, lesion = render(photo.rgb, face, "cold_sore", at, 8.0, seed=4)
    findings, _ = _analyse(engine, rgb)
    hits = _found(findings, lesion, "cold_sore")
    assert len(hits) == 1
    assert hits[0].region == "perioral" or "perioral" in hits[0].near_regions


@pytest.mark.parametrize("name", CLEAN_FACES)
def test_clean_faces_have_no_postponing_findings(engine, load_sample, name):
    findings, _ = _analyse(engine, load_sample(name).rgb)
    assert not [f for f in findings if f.kind in ("open_wound", "crust", "cold_sore", "pustule")]


#: Faces reddened by the redness phantom as after a treatment (the demo's follow-up photos):
#: clean skin made redder is not a wound, crust, cold sore or pustule.
PHANTOM_FACES = ["obama.jpg", "0-f15-hao-ph.jpg", "aptus_5.png", "aptus_1.png", "single_face.jpg"]
POSTPONING = ("open_wound", "crust", "cold_sore", "pustule")


@pytest.mark.slow
@pytest.mark.parametrize("name", PHANTOM_FACES)
@pytest.mark.parametrize("delta", [3.0, 8.0])
def test_phantom_reddened_clean_faces_have_no_postponing_findings(engine, load_sample, name, delta):
    from skintrack.simulate import phantom

    photo = load_sample(name)
    face = engine.detect(photo.rgb).face
    red = phantom.add_redness(
        photo.rgb,
        compute_regions(photo.rgb, face),
        delta_a_star={r: delta for r in ("forehead", "left_cheek", "right_cheek", "nose")},
    )
    findings, _ = _analyse(engine, red)
    assert [(f.kind, round(f.x), round(f.y)) for f in findings if f.kind in POSTPONING] == []


#: A rendered pustule's measured diameter may differ from the painted one by this share.
PUSTULE_SIZE_TOLERANCE = 0.25


@pytest.mark.parametrize("name", ["aptus_1.png", "0-f15-hao-ph.jpg", "obama.jpg", "aptus_5.png"])
@pytest.mark.parametrize("where", ["right_cheek", "forehead"])
def test_a_rendered_pustule_is_one_finding_sized_from_its_extent(engine, load_sample, name, where):
    """The red base peaks on both sides of the pale head: one lesion, not two small ones."""
    photo = load_sample(name)
    face = engine.detect(photo.rgb).face
    rgb, lesion = render(photo.rgb, face, "pustule", where, 4.0, seed=7)
    findings, _ = _analyse(engine, rgb)
    on_it = [f for f in findings if math.hypot(f.x - lesion.x, f.y - lesion.y) <= 1.5 * lesion.radius_px]
    assert len(on_it) == 1, [(f.kind, f.x, f.y, f.diameter_mm) for f in on_it]
    f = on_it[0]
    assert math.hypot(f.x - lesion.x, f.y - lesion.y) <= 0.25 * lesion.radius_px
    assert f.diameter_mm == pytest.approx(lesion.diameter_mm, rel=PUSTULE_SIZE_TOLERANCE)
    assert f.kind in L.ACNE_KINDS


def test_no_finding_inside_the_open_mouth(engine, load_sample):
    """Teeth and tongue are not skin: spots painted on the teeth of a smiling face are ignored."""
    import cv2

    photo = load_sample("single_face.jpg")
    face = engine.detect(photo.rgb).face
    mouth = face.xy[list(L.INNER_LIPS)].astype(np.float32).reshape(-1, 1, 2)
    rgb = photo.rgb.copy()
    top, bottom = face.xy[13, :2], face.xy[14, :2]
    assert bottom[1] - top[1] > 10  # the mouth is open
    cy = int((top[1] + bottom[1]) / 2)
    for dx, colour in ((-10, (70, 55, 50)), (12, (200, 60, 60)), (25, (90, 70, 60))):
        cv2.circle(rgb, (int(top[0]) + dx, cy), 2, colour, -1)
    findings, _ = _analyse(engine, rgb)
    assert not [f for f in findings if cv2.pointPolygonTest(mouth, (float(f.x), float(f.y)), False) >= 0]


@pytest.mark.parametrize("name", ["obama.jpg", "aptus_2.png", "45-m7-di-ph.jpg"])
def test_smooth_skin_gives_no_findings_in_the_regions(engine, load_sample, name):
    """Negative image: the face with all skin texture blurred away (no spots at all)."""
    import cv2

    photo = load_sample(name)
    face = engine.detect(photo.rgb).face
    smooth = cv2.GaussianBlur(photo.rgb, (0, 0), 0.02 * face.width_px)
    findings, _ = _analyse(engine, smooth)
    assert [f for f in findings if f.region in REGION_NAMES] == []


def test_findings_are_photo_pixels_with_stable_ids_and_records(engine, load_sample):
    photo = load_sample("aptus_2.png")
    first, face = _analyse(engine, photo.rgb)
    again, _ = _analyse(engine, photo.rgb)
    assert first and [f.id for f in first] == [f.id for f in again]
    h, w = photo.rgb.shape[:2]
    for f in first:
        assert 0 <= f.x < w and 0 <= f.y < h and f.radius_px > 0
        assert f.diameter_mm == pytest.approx(2 * f.radius_px * face.mm_per_px, rel=1e-6)
        rec = f.to_record()
        assert set(rec) >= {"id", "kind", "x", "y", "radius_px", "diameter_mm", "region", "score"}
        assert L.Finding.from_record(rec).id == f.id


def test_finding_validates_itself():
    ok = dict(id="a", kind="papule", x=1.0, y=2.0, radius_px=1.0, diameter_mm=None, region=None, score=0.5)
    L.Finding(**ok)
    for bad in (
        {"kind": "mole"},
        {"score": 1.5},
        {"region": "jaw"},
        {"id": ""},
        {"x": float("nan")},
        {"near_regions": ("ear",)},
    ):
        with pytest.raises(ValueError):
            L.Finding(**{**ok, **bad})


def test_bundled_model_loads_and_matches_its_features():
    model = L.load_model()
    assert model is not None and tuple(model.meta["features"]) == L.FEATURE_NAMES
    assert 0.0 < model.threshold_score < 1.0
    x = np.zeros((3, len(L.FEATURE_NAMES)), np.float32)
    p = model.predict(x)
    assert p.shape == (3,) and np.all((p >= 0) & (p <= 1))


def test_both_model_loaders_find_their_files_through_one_function(tmp_path):
    """The tree model and the candidate network are looked up the same way: a given path, the
    repository's models/ folder, then the installed package's _models/ (ADR 0002)."""
    from skintrack.core import acne_net

    assert L.model_file(L.MODEL_NAME) == L.MODEL_DIR / L.MODEL_NAME
    assert L.model_file(acne_net.MODEL_NAME) == L.MODEL_DIR / acne_net.MODEL_NAME
    assert L.model_file("no_such_model.npz") is None
    own = tmp_path / "mine.npz"
    own.write_bytes(b"x")
    assert L.model_file(L.MODEL_NAME, own) == own
    assert acne_net.load_net().path == L.model_file(acne_net.MODEL_NAME)


#: The bundled model on a fixed sample of ACNE04 dev photos (the model was trained on the whole dev
#: set, so this guards against regressions; the unseen-photo figures are the cross-validated ones
#: in models/LESIONS.md). ACNE04_EXPECTED was measured with the feature-version-3 model; the present
#: one scores F1 0.527, recall 0.544 here. A drop of more than MARGIN below it fails.
ACNE04_SAMPLE = 40
ACNE04_EXPECTED = {"f1": 0.546, "recall": 0.571}
MARGIN = 0.05


@pytest.mark.slow
def test_acne_detector_scores_on_acne04_dev(engine, acne04_dir):
    import json

    names = sorted(json.loads((acne04_dir / "annotations.json").read_text()))[::6][:ACNE04_SAMPLE]
    model = L.load_model()

    s, per = score_folder(acne04_dir, L.acne_detector(engine, model), files=names)
    assert len(per) == ACNE04_SAMPLE
    assert s.f1 >= ACNE04_EXPECTED["f1"] - MARGIN, s.summary()
    assert s.recall >= ACNE04_EXPECTED["recall"] - MARGIN, s.summary()


#: How the findings in the exporter's boxes are named on every 12th acne04-dev photo (21 photos),
#: measured with scripts/score_kinds.py's matching (the finding inside a box nearest its centre)
#: when the colour rules name the kinds. The whole dev set: models/LESIONS.md and ADR 0209.
KINDS_SAMPLE_EVERY = 12
KINDS_RECORDED = {
    "boxes": {"whitehead and blackhead": 21, "papules": 42, "pustules": 73, "nodules and cysts": 63},
    # Recorded with the heatmap network's spots (ADR 0210, switched on 2026-12-01); the trees'
    # spots gave 4/9/1, 9/22/4, 10/48/8, 8/28/6.
    "named": {
        "whitehead and blackhead": {"comedone": 4, "papule": 7, "nodule": 1},
        "papules": {"comedone": 10, "papule": 15, "nodule": 3},
        "pustules": {"comedone": 11, "papule": 38, "nodule": 9},
        "nodules and cysts": {"comedone": 23, "papule": 12, "nodule": 7},
    },
}


def test_acne_kinds_in_the_exporters_boxes_reproduce_their_recorded_figures(engine, acne04_dir):
    from scripts.score_kinds import score

    from skintrack.core.lesion_scoring import load_boxes

    names = sorted(load_boxes(acne04_dir))[::KINDS_SAMPLE_EVERY]
    table = score(acne04_dir, names, engine=engine)
    assert table.boxes == KINDS_RECORDED["boxes"]
    assert table.named == KINDS_RECORDED["named"], table.confusion()
    fig = table.figures()
    # On this sample: no "pustules" box named pustule, 81 % named inflamed (trees: 85 %).
    assert fig["pustules_named_pustule"] == 0.0 and fig["pustules_named_inflamed"] == 0.8103


def test_the_exporters_box_class_is_the_photos_severity_grade(acne04_dir):
    """Why the boxes cannot teach kinds (ADR 0209): on acne04-dev and acne04-train every box of a
    grade-G photo (levleG_N.jpg) has the same class, one class per grade."""
    from scripts.score_kinds import grade_table

    grade_class = {
        "levle0": "whitehead and blackhead",
        "levle1": "pustules",
        "levle2": "papules",
        "levle3": "nodules and cysts",
    }
    for folder in (acne04_dir, acne04_dir.parent / "acne04-train"):
        if not (folder / "roboflow_boxes.json").is_file():
            continue
        table = grade_table(folder)
        assert set(table) == set(grade_class), folder
        for grade, row in table.items():
            assert list(row) == [grade_class[grade]], (folder.name, grade, row)


def test_only_candidates_with_a_clear_response_are_scored(engine, load_sample):
    """Detection scores candidates at or above DETECT_MIN_Z only (training sees all of them)."""
    rgb = load_sample("aptus_1.png").rgb
    work = L.prepare(rgb, engine.detect(rgb).face)
    k = len(L.DOG_SIGMAS)
    comb = np.maximum(work.dog[:k].max(0), work.dog[k:].max(0))
    spots = L.detect_acne(work, threshold=0.0)
    assert len(spots.work_xy) > 0
    assert (comb[spots.work_xy[:, 1], spots.work_xy[:, 0]] >= L.DETECT_MIN_Z).all()
    weak = L.candidates(work)
    assert (comb[weak[:, 1], weak[:, 0]] < L.DETECT_MIN_Z).any()  # the gate does drop some


def test_lesion_finding_is_the_same_with_the_patch_search_on_its_own_thread(engine, load_sample, monkeypatch):
    from concurrent.futures import Future

    from skintrack.core.regions import compute_regions

    class Inline:
        def submit(self, fn, *args):
            fut = Future()
            fut.set_result(fn(*args))
            return fut

    rgb = load_sample("aptus_2.png").rgb
    face = engine.detect(rgb).face
    regions = compute_regions(rgb, face)
    threaded = L.find_lesions(rgb, face, regions)
    monkeypatch.setattr(L, "_POOL", Inline())
    assert L.find_lesions(rgb, face, regions) == threaded
    assert threaded


def test_acne_scores_shown_to_people_are_calibrated_certainties():
    """The raw tree score overstates how often a detection is a real lesion; findings carry the
    calibrated share measured on unseen photos (models/LESIONS.md), never above its cap."""
    model = L.load_model()
    cal = model.meta["calibration"]
    grid = np.asarray(cal["score"])
    share = model.certainty(grid)
    assert np.all(np.diff(share) >= 0)  # a higher score never means less certain
    assert share.max() <= 0.9 + 1e-9 and share.min() >= 0.0
    # Just over the threshold, about one detection in four was an expert's lesion, not ~40 %.
    assert model.certainty(model.threshold_score) < 0.35
    assert model.certainty(0.6) < 0.6 and model.certainty(0.97) > 0.7
    # The fit follows what was observed in each score band (within 0.08).
    bins, observed = cal["bins"], cal["observed"]
    for lo, hi, obs in zip(bins[:-1], bins[1:], observed, strict=False):
        if obs is not None:
            assert abs(float(model.certainty((lo + hi) / 2)) - obs) < 0.08, (lo, hi, obs)


def test_certainty_is_calibrated_per_kind():
    """Unseen ACNE04 detections the colour rules named pustules were expert lesions far more often
    than papules, and papules more often than comedones, at the same raw score; each kind's fit
    is stored with its detection count and observed share, and a finding takes its kind's."""
    model = L.load_model()
    cal = model.meta["calibration"]
    grid = np.asarray(cal["score"])
    by = {k: model.certainty(grid, k) for k in ("comedone", "papule", "pustule")}
    for k, share in by.items():
        assert np.all(np.diff(share) >= 0) and share.max() <= 0.9 + 1e-9, k
        assert cal["kind_detections"][k] > 0
    assert np.all(by["pustule"] >= by["papule"]) and np.all(by["papule"] >= by["comedone"])
    assert cal["kind_observed"]["pustule"] > cal["kind_observed"]["papule"] > cal["kind_observed"]["comedone"]
    # Nodules share the papules' fit; no kind means the fit over all detections.
    np.testing.assert_array_equal(model.certainty(grid, "nodule"), by["papule"])
    np.testing.assert_array_equal(model.certainty(grid), np.interp(grid, grid, cal["matched"]))


@pytest.mark.slow
@pytest.mark.parametrize("name", RENDER_FACES)
def test_a_rendered_pustule_on_clean_skin_is_certain_enough_to_postpone(engine, load_sample, name):
    """Six painted shapes per face: every one is found as a pustule with its kind's certainty,
    at or above the verdict's bar (before per-kind certainty, clean faces gave 0.28-0.48)."""
    from skintrack.core.verdict import certain_score

    photo = load_sample(name)
    face = engine.detect(photo.rgb).face
    for seed in range(6):
        rgb, lesion = render(photo.rgb, face, "pustule", "left_cheek", 4.0, seed=seed)
        findings, _ = _analyse(engine, rgb)
        hits = _found(findings, lesion, "pustule")
        assert hits, (name, seed)
        assert max(f.score for f in hits) >= certain_score("pustule"), (name, seed)
    # The score shown is the network's calibrated certainty (ADR 0210), not a raw probability.
    from skintrack.core.acne_heatmap import load_heatmap

    shown = {round(f.score, 3) for f in hits}
    assert shown <= {round(float(c), 3) for c in load_heatmap().meta["calibration"]["certainty"]}


def test_findings_carry_the_certainty_and_detection_keeps_the_raw_score(engine, load_sample):
    rgb = load_sample("aptus_1.png").rgb
    work = L.prepare(rgb, engine.detect(rgb).face)
    model = L.load_model()
    spots = L.detect_acne(work, model)
    assert len(spots.score) > 0 and (spots.score >= model.threshold_score).all()
    np.testing.assert_allclose(spots.certainty, model.certainty(spots.score))
    assert (spots.certainty < spots.score).all()


def test_no_acne_spot_is_reported_on_the_red_of_the_lips(engine, load_sample):
    """0-f15-hao-ph.jpg smiles: lip texture and teeth edges used to come out as papules."""
    import cv2

    from skintrack.core.analysis import analyze_photo
    from skintrack.core.regions import LIPS

    a = analyze_photo(load_sample("0-f15-hao-ph.jpg"), engine)
    lips = a.face.xy[list(LIPS)].astype(np.float32).reshape(-1, 1, 2)
    mm_per_px = a.face.mm_per_px
    for f in a.findings:
        if f.kind in L.ACNE_KINDS:
            depth = cv2.pointPolygonTest(lips, (f.x, f.y), True) * mm_per_px
            assert depth <= L.LIP_INSIDE_MM + 1e-6, (f.kind, depth)
    # Still found there: a spot on the lip border stays (a pustule painted there on this photo;
    # the trees found a real spot 0.6 px inside the outline, the network does not report it).
    rgb, lesion = render(load_sample("0-f15-hao-ph.jpg").rgb, a.face, "pustule", "lip_border", 4.0, seed=0)
    found, _ = _analyse(engine, rgb)
    assert any(
        f.kind in L.ACNE_KINDS and math.hypot(f.x - lesion.x, f.y - lesion.y) <= lesion.radius_px
        for f in found
    )


def test_halving_is_the_mean_of_each_two_by_two_block():
    """``_halve`` relies on OpenCV's bilinear resize at exactly half size sampling midway between
    pixels; the speed work depends on that staying true."""
    rng = np.random.default_rng(3)
    img = rng.random((37, 52, 3), dtype=np.float32) * 100
    want = img[:36].reshape(18, 2, 26, 2, 3).mean((1, 3))
    np.testing.assert_allclose(L._halve(img), want, atol=1e-4)
    grey = (rng.random((41, 30)) * 255).astype(np.uint8)
    mean = grey[:40].reshape(20, 2, 15, 2).astype(np.float64).mean((1, 3))
    assert np.abs(L._halve(grey).astype(np.float64) - mean).max() <= 0.5 + 1e-9


def test_components_match_opencvs_statistics():
    import cv2

    rng = np.random.default_rng(5)
    mask = cv2.GaussianBlur(rng.random((120, 90), dtype=np.float32), (0, 0), 2) > 0.52
    mask = mask.astype(np.uint8)
    n, labels, stats, cents = cv2.connectedComponentsWithStats(mask, connectivity=8)
    want = {
        (
            int(stats[i, 4]),
            tuple(int(v) for v in stats[i, :4]),
            (round(float(cents[i, 0]), 6), round(float(cents[i, 1]), 6)),
        )
        for i in range(1, n)
        if 3 <= stats[i, 4] < 40
    }
    _, comps = L._components(mask, 3, max_area=40)
    got = {(a, bb, (round(c[0], 6), round(c[1], 6))) for _, a, bb, c in comps}
    assert got == want and len(got) > 3
    assert L._components(np.zeros((10, 10), np.uint8), 1) == (None, [])


def test_float32_thresholds_decide_as_the_float64_ones():
    """Features are float32; the model compares them with float32 thresholds rounded down, which
    must send every float32 value the same way as the stored float64 threshold does."""
    model = L.load_model()
    inner = ~model.leaf
    t64 = model.threshold[inner]
    t32 = model.threshold32[inner]
    near = t64.astype(np.float32)
    for x in (near, np.nextafter(near, np.float32(np.inf)), np.nextafter(near, np.float32(-np.inf))):
        np.testing.assert_array_equal(x <= t32, x.astype(np.float64) <= t64)


def test_face_crust_must_differ_in_hue_from_the_skin_around_it(engine, load_sample):
    """ADR 0211 amendments: a fold's shading (darker, more saturated, same hue) is not a crust; a
    patch yellower in hue (a honey crust) is kept, and so is one redder in hue (a blood scab: the
    second amendment); a cold sore must differ in hue either way too."""
    from dataclasses import replace

    from skintrack.core.lesions import patches as P
    from skintrack.core.lesions.work import prepare
    from skintrack.core.regions import POLYGONS

    photo = load_sample("0-f15-hao-ph.jpg")
    face = engine.detect(photo.rgb).face
    work = prepare(photo.rgb, face, responses=False)
    cheek = work.xy[list(POLYGONS["right_cheek"])].mean(0)
    r = 3.0 / work.mm_per_work_px
    yy, xx = np.mgrid[: work.lab.shape[0], : work.lab.shape[1]]
    disc = np.hypot(xx - cheek[0], yy - cheek[1]) <= r
    skin = work.lab[np.hypot(xx - cheek[0], yy - cheek[1]) <= 3 * r].mean(0)
    hue = math.atan2(skin[2], skin[1])
    chroma = math.hypot(skin[1], skin[2])

    def painted(dhue_deg: float) -> list:
        lab = work.lab.copy()
        h = hue + math.radians(dhue_deg)
        lab[disc] = (skin[0] - 15.0, 1.6 * chroma * math.cos(h), 1.6 * chroma * math.sin(h))
        w = replace(work, lab=lab)
        patches = [P.Patch(k, (float(cheek[0]), float(cheek[1])), r, 0.99) for k in ("crust", "cold_sore")]
        return [p.kind for p in P._hue_checked(w, patches)]

    assert P.FACE_CRUST_MIN_DHUE_DEG is not None and P.FACE_COLD_SORE_MIN_DHUE_DEG is not None
    assert painted(0.0) == []  # shading: same hue, darker and more saturated
    assert painted(P.FACE_CRUST_MIN_DHUE_DEG + 6.0) == ["crust", "cold_sore"]  # yellower
    assert painted(-(P.FACE_CRUST_MIN_DHUE_DEG + 6.0)) == ["crust", "cold_sore"]  # redder: a scab


@pytest.mark.slow
def test_a_brown_scab_redder_in_hue_than_yellowish_skin_is_a_crust(engine, load_sample):
    """The painted crusts of aptus_5.png (very light skin in warm light) are brown scabs, 8-16
    degrees redder in hue than the skin around them: the first hue rule ("yellower") lost all of
    them (ADR 0211, second amendment); they are found again, where they were painted."""
    photo = load_sample("aptus_5.png")
    face = engine.detect(photo.rgb).face
    found = 0
    for seed in range(3):
        rgb, les = render(photo.rgb, face, "crust", "forehead", 6.0, seed=seed)
        f2 = engine.detect(rgb).face
        hits = [
            f
            for f in L.find_lesions(rgb, f2, compute_regions(rgb, f2))
            if f.kind == "crust" and math.hypot(f.x - les.x, f.y - les.y) <= les.radius_px
        ]
        found += bool(hits)
    assert found == 3


def _crease_scene(line: bool):
    """A flat skin image (0.4 mm per pixel) with a 5-mm raw red patch; with ``line``, the patch is
    the darkest part of a 32-mm band of fainter shading through it (a crease's shadow)."""
    mmpp = 0.4
    skin = np.array([65.0, 12.0, 16.0], np.float32)
    lab = np.empty((200, 200, 3), np.float32)
    lab[:] = skin
    yy, xx = np.mgrid[:200, :200]
    if line:
        band = (np.abs(yy - 100) <= 3) & (np.abs(xx - 100) <= 40)
        lab[band] = skin + (-5.0, 10.0, 0.0)  # fainter than a wound: not one on its own
    lab[np.hypot(xx - 100, yy - 100) <= 2.5 / mmpp] = skin + (-8.0, 20.0, 0.0)
    everywhere = np.ones((200, 200), bool)
    nowhere = np.zeros((200, 200), bool)
    return dict(
        lab=lab, skin_lab=skin, mmpp=mmpp, area=everywhere, skin=everywhere, lips=nowhere, lips_grown=nowhere
    )


def _patch_kinds(scene, **kw):
    s = dict(scene)
    return [p.kind for p in L.patches_in(s.pop("lab"), s.pop("skin_lab"), s.pop("mmpp"), **s, **kw)]


def test_a_wound_coloured_patch_on_a_crease_line_is_its_shadow_a_blob_is_kept():
    """ADR 0211, third amendment: on a face, a patch that is the darkest part of a line of shading
    (grown along the pixels that differ from the skin as it does) is a crease's shadow; the same
    patch on its own is a wound. The close-up (no limit) keeps both."""
    from skintrack.core.lesions import patches as P

    limit = P.FACE_MAX_GROWN_ELONGATION
    assert limit is not None
    assert _patch_kinds(_crease_scene(line=False), max_grown_elongation=limit) == ["open_wound"]
    assert _patch_kinds(_crease_scene(line=True), max_grown_elongation=limit) == []
    assert _patch_kinds(_crease_scene(line=True)) == ["open_wound"]  # no limit: as before


def test_a_small_patch_at_a_mouth_corner_is_the_commissures_crease(engine, load_sample):
    """ADR 0211, third amendment: a patch smaller than COMMISSURE_MAX_MM centred within
    COMMISSURE_MM of a mouth corner (landmarks 61, 291) is dropped; a larger one there, or a small
    one where cold sores are painted (the upper lip's border, landmark 270), is kept; a face cold
    sore wider than FACE_COLD_SORE_MAX_MM is dropped, a crust that wide is not."""
    from skintrack.core.lesions import patches as P
    from skintrack.core.lesions.work import prepare

    photo = load_sample("0-f15-hao-ph.jpg")
    face = engine.detect(photo.rgb).face
    work = prepare(photo.rgb, face, responses=False)
    mm = work.mm_per_work_px

    def kept(kind: str, landmark: int, diameter_mm: float, dy_mm: float = 0.0) -> bool:
        x, y = work.xy[landmark]
        p = P.Patch(kind, (float(x), float(y + dy_mm / mm)), diameter_mm / 2 / mm, 0.9)
        return P._plausible_on_face(work, [p]) == [p]

    assert P.COMMISSURE_MM is not None and P.FACE_COLD_SORE_MAX_MM is not None
    small = 0.7 * P.COMMISSURE_MAX_MM
    for corner in P.MOUTH_CORNERS:
        assert not kept("cold_sore", corner, small)
        assert not kept("open_wound", corner, small)
        assert kept("cold_sore", corner, 1.6 * P.COMMISSURE_MAX_MM)
    assert kept("cold_sore", 270, small, dy_mm=-3.0)
    assert not kept("cold_sore", 270, P.FACE_COLD_SORE_MAX_MM + 5, dy_mm=-3.0)
    assert kept("crust", 10, P.FACE_COLD_SORE_MAX_MM + 5)
