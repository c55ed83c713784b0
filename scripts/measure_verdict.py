"""How often the pre-treatment check says wait on real acne and on clear skin (issue 13).

Runs ``skintrack check`` as the app and the command line do (one :class:`FaceEngine`, the whole
face treated, every protocol question answered "no risk") on

- ``../shared/data/acne04-dev`` (243 real photos of active acne, ACNE04 validation split), and
- ``../shared/data/clear-dev`` (600 synthetic clear-skin portraits; ``--clear-sample N`` takes a
  seeded sample while iterating),

and prints, per set: the share of GO / REVIEW / POSTPONE; the share with a reason *from the skin*
against GO (a POSTPONE or REVIEW reason about findings, whatever the photo's quality); findings
per face, all of them and those on the skin that count for the verdict; and for clear skin the
share postponed and the share GO among photos that pass the quality gate.

Targets (issue 13): skin flags >= 90 % of acne faces and <= 5 % of clear faces; clear faces
postponed <= 2 %; clear faces passing the quality gate GO >= 90 %; <= 2 findings on the skin of a
clear face on average.

Usage::

    nice -n 10 .venv/bin/python scripts/measure_verdict.py [--clear-sample 200] [--seed 13]
        [--limit N] [--train] [--json OUT]

Clear-dev is also reported per half: the even-numbered faces tuned the evidence thresholds
(:mod:`skintrack.core.evidence`), the odd-numbered ones are unseen by that tuning.

The photos are read from the shared folder and never copied.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path

from skintrack.simulate.answers import NO_RISK_ANSWERS

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"

#: Every question answered, none of them a risk (a reused roller soaked in 75 % alcohol).
NO_RISK = NO_RISK_ANSWERS


def photo_paths(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))


def counts_on_skin(finding) -> bool:
    """Whether a finding counts for the verdict with the whole face treated (before issue 13,
    which added :func:`~skintrack.core.verdict.why_not_counted`, every finding did)."""
    try:
        from skintrack.core.verdict import why_not_counted
    except ImportError:
        return True
    return not why_not_counted(finding)


def photo_number(name: str) -> int:
    """The number in a photo's name (``fake_resized_12.jpg``: 12)."""
    import re

    m = re.search(r"(\d+)\D*$", name)
    return int(m.group(1)) if m else 0


def summarise(rows: list[dict]) -> dict:
    """The figures over per-photo rows of :func:`measure` (all of a set, or a subset of them)."""
    n = max(len(rows), 1)
    ok = [r for r in rows if r["quality_ok"]]
    return {
        "photos": len(rows),
        "go": sum(r["decision"] == "go" for r in rows) / n,
        "review": sum(r["decision"] == "review" for r in rows) / n,
        "postpone": sum(r["decision"] == "postpone" for r in rows) / n,
        "skin_reason": sum(r["skin_reason"] for r in rows) / n,
        "skin_postpone": sum(
            any(x["decision"] == "postpone" and x["finding_ids"] for x in r["reasons"]) for r in rows
        )
        / n,
        "findings_per_face": sum(r["findings"] for r in rows) / n,
        "on_skin_per_face": sum(r["on_skin"] for r in rows) / n,
        "postponing_kind": sum(r.get("postponing_on_skin", 0) > 0 for r in rows) / n,
        "postponing_evidence": sum(r.get("postponing_evidence", 0) > 0 for r in rows) / n,
        "quality_ok": len(ok),
        "quality_ok_go": sum(r["decision"] == "go" for r in ok) / max(len(ok), 1),
        "kinds_on_skin_per_face": {},
        "skin_reasons_by_kind": {},
        "ms_per_photo": 0.0,
        "per_photo": rows,
    }


def measure(paths: list[Path], engine, answers) -> dict:
    """The figures of :func:`summarise` over these photos, with the kinds on the skin and the
    kinds the skin's reasons name, the time per photo and every per-photo row."""
    from skintrack.core import protocol
    from skintrack.core.analysis import analyze_photo
    from skintrack.core.intake import load_photo
    from skintrack.core.verdict import decide

    kinds: Counter = Counter()
    rule_kinds: Counter = Counter()
    per_photo = []
    t0 = time.perf_counter()
    for path in paths:
        analysis = analyze_photo(load_photo(path), engine)
        face = analysis.face
        verdict = decide(
            analysis.findings,
            analysis.quality,
            answers=answers,
            treated=(),
            mm_per_px=face.mm_per_px if face else None,
        )
        from_skin = [r for r in verdict.reasons if r.finding_ids]
        by_id = {f.id: f for f in analysis.findings}
        for r in from_skin:
            for fid in r.finding_ids:
                rule_kinds[(r.decision, by_id[fid].kind if fid in by_id else "?")] += 1
        on_skin = [f for f in analysis.findings if counts_on_skin(f)]
        kinds.update(f.kind for f in on_skin)
        # Issue 14: a postponing kind (pustule, wound, crust, cold sore) reported on the skin at
        # all (greyed "too uncertain" ones included), and one that counts for the verdict.
        postponing = [f for f in analysis.findings if f.kind in protocol.POSTPONE_KINDS and not f.off_skin]
        evident = [f for f in postponing if counts_on_skin(f)]
        per_photo.append(
            {
                "photo": path.name,
                "decision": verdict.decision,
                "quality_ok": bool(analysis.quality.ok and face is not None),
                "skin_reason": bool(from_skin),
                "findings": len(analysis.findings),
                "on_skin": len(on_skin),
                "postponing_on_skin": len(postponing),
                "postponing_evidence": len(evident),
                "reasons": [r.to_record() for r in verdict.reasons],
            }
        )
    n = max(len(paths), 1)
    return {
        **summarise(per_photo),
        "kinds_on_skin_per_face": {k: v / n for k, v in kinds.most_common()},
        "skin_reasons_by_kind": {f"{d}:{k}": v for (d, k), v in rule_kinds.most_common()},
        "ms_per_photo": (time.perf_counter() - t0) * 1e3 / n,
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--clear-sample",
        type=int,
        default=0,
        metavar="N",
        help="a seeded sample of N clear-dev faces (default: all 600)",
    )
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--limit", type=int, default=0, help="at most N photos per set (quick look)")
    p.add_argument("--json", metavar="OUT", help="also write every figure and per-photo row here")
    p.add_argument(
        "--train",
        action="store_true",
        help="also acne04-train (the faces the inflamed-acne threshold was chosen on)",
    )
    args = p.parse_args(argv)

    from skintrack.core.face import FaceEngine
    from skintrack.core.questionnaire import Answers

    acne = DATA / "acne04-dev"
    clear = DATA / "clear-dev"
    if not acne.is_dir() or not clear.is_dir():
        print(f"{DATA}: acne04-dev and clear-dev are needed", file=sys.stderr)
        return 2
    sets = {"acne04-dev": photo_paths(acne), "clear-dev": photo_paths(clear)}
    if args.train and (DATA / "acne04-train").is_dir():
        sets["acne04-train"] = photo_paths(DATA / "acne04-train")
    if args.clear_sample:
        sets["clear-dev"] = sorted(random.Random(args.seed).sample(sets["clear-dev"], args.clear_sample))
    if args.limit:
        sets = {k: v[: args.limit] for k, v in sets.items()}
    answers = Answers.from_dict(NO_RISK)
    results = {}
    with FaceEngine() as engine:
        for name, paths in sets.items():
            results[name] = measure(paths, engine, answers)
    # The evidence thresholds (core/evidence.py, ADR 0211) were tuned on the even-numbered
    # clear-dev faces: the odd ones are unseen by that tuning.
    clear_rows = results["clear-dev"]
    for name, parity in (("clear (tuning)", 0), ("clear (unseen)", 1)):
        rows = [r for r in clear_rows["per_photo"] if photo_number(r["photo"]) % 2 == parity]
        if rows:
            results[name] = summarise(rows)
    print("whole face treated, every question answered 'no risk'")
    print(
        f"{'set':<15} {'n':>4} {'GO':>6} {'REVIEW':>7} {'POSTPONE':>9} {'skin says':>10} "
        f"{'skin post.':>10} {'finds/face':>10} {'on skin':>8} {'q-ok GO':>12} {'ms':>5}"
    )
    for name, r in results.items():
        print(
            f"{name:<15} {r['photos']:>4} {r['go']:>6.1%} {r['review']:>7.1%} "
            f"{r['postpone']:>9.1%} {r['skin_reason']:>10.1%} {r['skin_postpone']:>10.1%} "
            f"{r['findings_per_face']:>10.1f} {r['on_skin_per_face']:>8.1f} "
            f"{r['quality_ok_go']:>6.1%} of {r['quality_ok']:<3} {r['ms_per_photo']:>5.0f}"
        )
    for name, r in results.items():
        if not r["kinds_on_skin_per_face"]:
            continue
        print(
            f"{name}: kinds on the skin per face "
            + ", ".join(f"{k} {v:.2f}" for k, v in r["kinds_on_skin_per_face"].items())
        )
        print(
            f"{name}: skin reasons (decision:kind count) "
            + ", ".join(f"{k} {v}" for k, v in r["skin_reasons_by_kind"].items())
        )
    c = results["clear-dev"]
    a = results["acne04-dev"]
    print(
        "targets: acne skin flags >= 90 %: "
        f"{a['skin_reason']:.1%}; clear skin flags <= 5 %: {c['skin_reason']:.1%}; clear "
        f"postponed <= 2 %: {c['postpone']:.1%}; clear quality-ok GO >= 90 %: "
        f"{c['quality_ok_go']:.1%}; clear findings on skin <= 2: {c['on_skin_per_face']:.2f}"
    )
    print(
        "issue 14: clear faces with no postponing kind on the skin (target >= 98 %): "
        f"{1 - c['postponing_kind']:.1%} (none that counts for the verdict: "
        f"{1 - c['postponing_evidence']:.1%})"
    )
    u = results.get("clear (unseen)")
    if u:
        print(
            f"unseen clear half: skin flags {u['skin_reason']:.1%}, postponed {u['postpone']:.1%}, "
            f"quality-ok GO {u['quality_ok_go']:.1%}, findings on skin {u['on_skin_per_face']:.2f}"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
