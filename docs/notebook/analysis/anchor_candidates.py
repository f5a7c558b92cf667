#!/usr/bin/env python3
"""Whether a rule for drawing an "anchor" from the clips asked about so far would draw the flips:
at one reward snapshot of a run, every clip asked about by then ranked by (1) how much the
members dispute it against the champion (the clip of the last 150 comparisons the model pays
most), (2) the members' spread of its summed reward, (3) how little the model pays it; printed:
where the clips with a clean flip rank (0 first), and the teacher's score of the champion and of
each flip (would the teacher prefer the flip, were the two asked together?) (docs/notebook/2026-12-07-refit.md).

    BACKFLIP=BINARY python3 docs/notebook/analysis/anchor_candidates.py RUN STEP
"""
import csv
import json
import math
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import answers_by_window as an  # noqa: E402  (export: a run's saved clip; run_teacher; BF)
import rescore_landing_credit as rs  # noqa: E402  (rescore_clip: the judge's count)

WINDOW = 150


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    run, step = sys.argv[1], int(sys.argv[2])
    teacher = an.run_teacher(json.load(open(os.path.join(run, "run.json"))))
    comps = an.run_comparisons(run)
    rows = list(csv.DictReader(open(os.path.join(run, "metrics.csv"))))
    n = an.answered_by(rows, step)
    asked = list(dict.fromkeys(c[s] for c in comps[:n] for s in ("left", "right")))
    flips, score = set(), {}
    for cid in asked:
        clip = an.export(run, cid)
        judged = rs.rescore_clip(clip["infos"], clip["n_bodies"], teacher)
        score[cid] = float(judged["score"])
        if judged["flips"] >= 1:
            flips.add(cid)
    out = json.loads(subprocess.run([an.BF, "clip", "rewards", run, "--at-step", str(step)], capture_output=True, text=True, check=True).stdout)
    member = {c: [sum(m) for m in out["members"][c]] for c in asked}
    mean = {c: sum(v) / len(v) for c, v in member.items()}
    recent = [c[s] for c in comps[max(0, n - WINDOW) : n] for s in ("left", "right")]
    champion = max(recent, key=lambda c: mean[c])

    def dispute(c):
        p = [1 / (1 + math.exp(min(50.0, b - a))) for a, b in zip(member[champion], member[c])]
        m = sum(p) / len(p)
        return sum((x - m) ** 2 for x in p) / len(p)

    def spread(c):
        m = mean[c]
        return math.sqrt(sum((x - m) ** 2 for x in member[c]) / len(member[c]))

    print(f"{run} at {step}: {len(asked)} clips asked by then, {len(flips)} with a flip; the champion holds one: {champion in flips}")
    print(f"  the teacher's score: the champion {score[champion]:.2f}; the flips {' '.join(f'{score[f]:.2f}' for f in sorted(flips, key=score.get))}")
    for name, key in (("dispute against the champion", dispute), ("members' spread", spread), ("paid least", lambda c: -mean[c])):
        order = sorted(asked, key=key, reverse=True)
        print(f"  by {name}: the flips rank {sorted(order.index(f) for f in flips)} of {len(order)}")


if __name__ == "__main__":
    main()
