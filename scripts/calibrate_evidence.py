"""Choose and check the verdict's evidence thresholds (issue 13; :mod:`skintrack.core.evidence`).

Reads the findings cached by ``scripts/collect_findings.py`` (default ``/tmp/skintrack-findings``)
and prints:

1. **rule tables**: for the open-wound, crust and cold-sore rules, at rising rule scores, how many
   painted lesions they find (positives) and on how many clear faces of the *tuning half* (even
   photo numbers of clear-dev) they report a counted finding (negatives), for the face check; for
   the close-up check, dermnet-dev photos with a postponing kind (positives) against close-ups
   of clear skin from the tuning half. ``--emit`` prints them as Python for ``core/evidence.py``.
2. **inflamed rung grid**: the share of acne04-TRAIN faces and of tuning-half clear faces whose
   acne spots (comedones, papules, nodules) on the skin (certainty >= c) add up to more than T
   expected lesions.
3. **figures** of the verdict as it now stands (stored findings replayed through
   :func:`~skintrack.core.evidence.calibrate` and :func:`~skintrack.core.verdict.decide`, whole
   face treated, every question answered "no risk") on acne04-dev, acne04-train, and clear-dev
   (all, tuning half, unseen half), and the close-up figures (dermnet found, clear crops GO).

Usage::

    .venv/bin/python scripts/calibrate_evidence.py [--dir /tmp/skintrack-findings] [--emit]
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from pathlib import Path
from types import SimpleNamespace

from skintrack.simulate.answers import NO_RISK_ANSWERS

RULE_KINDS = ("open_wound", "crust", "cold_sore")
GRID = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.99)
NO_RISK = NO_RISK_ANSWERS


def load(folder: Path, name: str) -> list[dict]:
    path = folder / f"{name}.jsonl"
    return [json.loads(line) for line in path.open()] if path.is_file() else []


def number(photo: str) -> int:
    m = re.search(r"(\d+)\D*$", photo)
    return int(m.group(1)) if m else 0


def half(rows, parity: int) -> list[dict]:
    """Rows of clear-dev photos whose number has this parity (0: tuning half, 1: unseen)."""
    return [r for r in rows if number(r["photo"]) % 2 == parity]


def findings_of(row):
    from skintrack.core.lesions import Finding

    return [Finding.from_record(f) for f in row["findings"]]


def counted(row, close_up=False):
    from skintrack.core.verdict import why_not_counted

    return [f for f in findings_of(row) if not why_not_counted(f, close_up=close_up)]


def face_rule_table(painted, clear_tuning, kind):
    real = [r for r in painted if r["painted"]["kind"] == kind]
    found, neg = [], []
    for g in GRID:
        n = 0
        for r in real:
            p = r["painted"]
            n += any(
                f.kind == kind
                and f.score >= g
                and not f.off_skin
                and math.hypot(f.x - p["x"], f.y - p["y"]) <= max(p["radius_px"], 4)
                for f in findings_of(r)
            )
        found.append(n)
        neg.append(sum(any(f.kind == kind and f.score >= g for f in counted(r)) for r in clear_tuning))
    return tuple(GRID), tuple(found), len(real), tuple(neg), len(clear_tuning)


def close_up_rule_table(dermnet, crops_tuning, kind):
    """Dermnet photos on which this rule reports its kind at >= g (any dermnet photo is a real
    postponing lesion), against tuning-half clear crops with such a finding."""
    found, neg = [], []
    for g in GRID:
        found.append(sum(any(f.kind == kind and f.score >= g for f in counted(r, True)) for r in dermnet))
        neg.append(sum(any(f.kind == kind and f.score >= g for f in counted(r, True)) for r in crops_tuning))
    return tuple(GRID), tuple(found), len(dermnet), tuple(neg), len(crops_tuning)


def quality_of(row):
    problems = tuple(SimpleNamespace(message=m) for m in row.get("problems", ()))
    ok = bool(row.get("quality_ok")) if row.get("face", True) else False
    if not ok and not problems:
        problems = (SimpleNamespace(message="no face or a poor photo"),)
    return SimpleNamespace(ok=ok, problems=problems)


def replay(rows, *, close_up=False) -> dict:
    from skintrack.core.evidence import calibrate
    from skintrack.core.questionnaire import Answers
    from skintrack.core.verdict import decide, why_not_counted

    answers = Answers.from_dict(NO_RISK)
    n = max(len(rows), 1)
    skin = post = go = qok = qok_go = on_skin = 0
    for r in rows:
        fs = calibrate(findings_of(r), close_up=close_up)
        v = decide(fs, quality_of(r), answers=answers, mm_per_px=r.get("mm_per_px"), close_up=close_up)
        from_skin = [x for x in v.reasons if x.finding_ids]
        skin += bool(from_skin)
        post += any(x.decision == "postpone" for x in from_skin)
        go += v.go
        ok = bool(r.get("quality_ok"))
        qok += ok
        qok_go += ok and v.go
        on_skin += sum(not why_not_counted(f, close_up=close_up) for f in fs)
    return {
        "n": len(rows),
        "skin": skin / n,
        "skin_postpone": post / n,
        "go": go / n,
        "qok_go": qok_go / max(qok, 1),
        "qok": qok,
        "on_skin": on_skin / n,
    }


def inflamed_grid(train, clear_tuning):
    from skintrack.core import protocol
    from skintrack.core.evidence import calibrate

    def stats(rows):
        out = []
        for r in rows:
            fs = [f for f in counted(r) if f.kind in protocol.ACTIVE_ACNE_KINDS and f.region]
            out.append(sorted((f.score for f in calibrate(fs)), reverse=True))
        return out

    a, c = stats(train), stats(clear_tuning)
    print(
        "inflamed rung: share flagged (acne04-train / clear tuning half) when the sum of "
        "certainties >= c exceeds T"
    )
    cs = (0.0, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5)
    ts = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0)
    print("   c \\ T " + "".join(f"{t:>14.1f}" for t in ts))
    for cmin in cs:
        cells = []
        for t in ts:
            fa = sum(sum(s for s in x if s >= cmin) > t for x in a) / max(len(a), 1)
            fc = sum(sum(s for s in x if s >= cmin) > t for x in c) / max(len(c), 1)
            cells.append(f"{fa:6.1%}/{fc:5.1%}")
        print(f"  {cmin:5.2f}  " + "".join(f"{x:>14}" for x in cells))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", default="/tmp/skintrack-findings")
    ap.add_argument("--emit", action="store_true", help="print the rule tables as Python")
    args = ap.parse_args(argv)
    d = Path(args.dir)
    painted, dermnet = load(d, "painted"), load(d, "dermnet")
    clear, crops = load(d, "clear-dev"), load(d, "clear-crops")
    acne_dev, acne_train = load(d, "acne04-dev"), load(d, "acne04-train")
    if not clear:
        print(f"{d}: no cached findings; run scripts/collect_findings.py first", file=sys.stderr)
        return 2
    tuning, unseen = half(clear, 0), half(clear, 1)
    print(f"rule tables (face): painted lesions vs {len(tuning)} clear faces of the tuning half")
    emit = {"FACE_RULES": {}, "CLOSE_UP_RULES": {}}
    for kind in RULE_KINDS:
        t = face_rule_table(painted, tuning, kind)
        emit["FACE_RULES"][kind] = t
        print(f"  {kind:<10} score " + " ".join(f"{g:5.2f}" for g in t[0]))
        print(f"  {'':<10} found " + " ".join(f"{x:5d}" for x in t[1]) + f"  of {t[2]}")
        print(f"  {'':<10} clear " + " ".join(f"{x:5d}" for x in t[3]) + f"  of {t[4]}")
    if dermnet and crops:
        ctune = half(crops, 0)
        print(
            f"rule tables (close-up): {len(dermnet)} dermnet photos vs {len(ctune)} clear crops "
            "of the tuning half"
        )
        for kind in RULE_KINDS:
            t = close_up_rule_table(dermnet, ctune, kind)
            emit["CLOSE_UP_RULES"][kind] = t
            print(f"  {kind:<10} score " + " ".join(f"{g:5.2f}" for g in t[0]))
            print(f"  {'':<10} found " + " ".join(f"{x:5d}" for x in t[1]) + f"  of {t[2]}")
            print(f"  {'':<10} clear " + " ".join(f"{x:5d}" for x in t[3]) + f"  of {t[4]}")
    if args.emit:
        for name, tables in emit.items():
            print(f"{name} = {{")
            for kind, (s, f, n, c, m) in tables.items():
                print(
                    f'    "{kind}": RuleCalibration(\n        scores={s},\n        found={f}, '
                    f"real={n},\n        clear={c}, faces={m}),"
                )
            print("}")
    if acne_train:
        inflamed_grid(acne_train, tuning)
    print("figures (stored findings replayed through the verdict of this commit):")
    print(
        f"  {'set':<22} {'n':>4} {'skin says':>10} {'skin post.':>10} {'GO':>7} {'q-ok GO':>8} {'on skin':>8}"
    )
    sets = {
        "acne04-dev": acne_dev,
        "acne04-train": acne_train,
        "clear-dev (all)": clear,
        "clear-dev (tuning)": tuning,
        "clear-dev (unseen)": unseen,
    }
    for name, rows in sets.items():
        if rows:
            r = replay(rows)
            print(
                f"  {name:<22} {r['n']:>4} {r['skin']:>10.1%} {r['skin_postpone']:>10.1%} "
                f"{r['go']:>7.1%} {r['qok_go']:>8.1%} {r['on_skin']:>8.2f}"
            )
    if dermnet:
        r = replay(dermnet, close_up=True)
        print(f"  {'dermnet (close-up)':<22} {r['n']:>4} {r['skin']:>10.1%} {r['skin_postpone']:>10.1%}")
    for name, rows in (
        ("clear crops (all)", crops),
        ("clear crops (tuning)", half(crops, 0)),
        ("clear crops (unseen)", half(crops, 1)),
    ):
        if rows:
            r = replay(rows, close_up=True)
            print(f"  {name:<22} {r['n']:>4} {r['skin']:>10.1%} {r['skin_postpone']:>10.1%} {r['go']:>7.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
