"""The close-up cross-validation script (ADR 0213): its fold split, its fixed selection objective
and its setting filters, on made-up rows (no photos needed)."""

from __future__ import annotations

from collections import Counter

from scripts import cv_closeup as cv


def _items():
    return [(f"cold_sore/c{i}.jpg", "cold_sore") for i in range(29)] + [
        (f"crust/k{i}.jpg", "crust") for i in range(14)
    ]


def test_the_fold_split_is_stratified_by_kind_and_balanced():
    folds = cv.stratified_folds(_items(), 2, seed=14)
    assert set(folds) == {n for n, _ in _items()}
    per_kind = Counter((n.split("/")[0], f) for n, f in folds.items())
    assert abs(per_kind[("cold_sore", 0)] - per_kind[("cold_sore", 1)]) <= 1
    assert abs(per_kind[("crust", 0)] - per_kind[("crust", 1)]) <= 1
    sizes = Counter(folds.values())
    assert abs(sizes[0] - sizes[1]) <= 1


def test_the_fold_split_is_deterministic_and_seeded():
    a = cv.stratified_folds(_items(), 2, seed=14)
    assert a == cv.stratified_folds(list(reversed(_items())), 2, seed=14)  # input order is irrelevant
    assert a != cv.stratified_folds(_items(), 2, seed=15)


def test_the_grid_holds_the_shipped_setting_once():
    keys = [cv.setting_key(s) for s in cv.settings()]
    assert len(keys) == len(set(keys)) == 3 * 3 * 3 * 3 * 2
    assert keys.count(cv.setting_key(cv.SHIPPED)) == 1
    # The shipped setting is the close-up's own (core/closeup.py), not a copy that drifted.
    from skintrack.core import closeup

    assert cv.SHIPPED == {
        "border": closeup.BORDER_SHARE,
        "ref_db": closeup.REFERENCE_MAX_DB,
        "growth": closeup.MAX_GROWTH,
        "crust_dhue": closeup.CRUST_MIN_DHUE_DEG,
        "dark": closeup.DARK_CRUSTS,
    }


def test_choose_maximises_found_under_the_clear_go_floor_then_breaks_ties_as_fixed():
    s = cv.settings()
    shipped = cv.SHIPPED
    a = next(x for x in s if cv.distance_from_shipped(x) == 1)
    b = next(x for x in s if cv.distance_from_shipped(x) == 2)
    cands = [b, a, shipped]
    key = cv.setting_key
    # b finds most but loses clear skin: not eligible.
    found = {key(b): 40, key(a): 30, key(shipped): 30}
    go = {key(b): 0.85, key(a): 0.92, key(shipped): 0.92}
    assert cv.choose(cands, found, go) == shipped  # a tie: nearest the shipped setting
    go[key(a)] = 0.93
    assert cv.choose(cands, found, go) == a  # a tie: the higher clear GO first
    found[key(shipped)] = 31
    assert cv.choose(cands, found, go) == shipped  # more found wins
    go = {key(b): 0.85, key(a): 0.80, key(shipped): 0.70}
    assert cv.choose(cands, found, go) == b  # nothing eligible: the best clear GO


def test_findings_of_applies_the_edge_cut_and_the_crust_hue_limit():
    raw = {
        "runs": {
            (8.0, 16.0, False): [
                ("crust", 50.0, 50.0, 5.0, 0.9, 7.0, 4.0),  # crust 7 degrees yellower
                ("open_wound", 5.0, 50.0, 4.0, 0.9, None, 1.2),  # 1.2 radii from the edge
                ("cold_sore", 60.0, 60.0, 4.0, 0.9, None, 9.0),
            ]
        }
    }
    s = dict(cv.SHIPPED)
    assert [f[0] for f in cv.findings_of(raw, s)] == ["cold_sore"]
    assert [f[0] for f in cv.findings_of(raw, {**s, "crust_dhue": 6.0, "border": 1.0})] == [
        "crust",
        "open_wound",
        "cold_sore",
    ]


def test_on_lesion_is_by_the_finding_centre():
    assert cv.on_lesion(("crust", 10.0, 10.0, 50.0), [[11.0, 11.0, 2.0]])
    assert not cv.on_lesion(("crust", 10.0, 10.0, 50.0), [[14.0, 10.0, 2.0]])
    assert not cv.on_lesion(("crust", 10.0, 10.0, 50.0), [])
