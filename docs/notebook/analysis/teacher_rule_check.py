#!/usr/bin/env python3
"""Which foot-down rule a backflip experiment's scripted teacher scored with: its recorded
answers against the port of its clip score (rescore_landing_credit.py) with the rule at the
given limits (docs/notebook/2026-12-06-foot-down.md).

    BACKFLIP=BINARY python3 docs/notebook/analysis/teacher_rule_check.py EXPERIMENT_DIR [DEG ...]

For learned-s1 to s3 and each limit (default 90 and 0, 0 meaning the foot is never down), prints
how many of the answers the port calls "equal" the teacher answered "equal", and how many of the
rest it answered for the clip the port scores higher (the humanlike teacher answers the other
way 10% of the time). Clips come through answers_by_window.py's export (and its cache); needs
numpy, as rescore_landing_credit.py does.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import answers_by_window as an  # noqa: E402  (export: a run's saved clip)
import rescore_landing_credit as rs  # noqa: E402  (rescore_clip: the teacher's clip score; answer_agreement)


def agreement(run, limit):
    cfg = json.load(open(f"{run}/run.json"))
    teacher = dict(cfg["prefs"]["teacher"], foot_down_beyond_deg=limit)
    threshold = rs.F(teacher["equal_threshold"])
    scores = {}

    def score(cid):
        if cid not in scores:
            clip = an.export(run, cid)
            scores[cid] = rs.rescore_clip(clip["infos"], clip["n_bodies"], teacher)["score"]
        return scores[cid]

    comps = [c for c in map(json.loads, open(f"{run}/comparisons.jsonl")) if c["type"] == "comparison"]
    equal, equal_n, better, better_n = rs.answer_agreement(comps, score, threshold)
    return f"equal {equal}/{equal_n}, better {better}/{better_n}"


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    try:
        limits = [float(a) for a in sys.argv[2:]] or [90.0, 0.0]
    except ValueError:
        sys.exit("the limits are angles in degrees")
    for seed in (1, 2, 3):
        run = f"{sys.argv[1]}/learned-s{seed}"
        print(f"learned-s{seed}: " + " | ".join(f"foot down beyond {d:g}: {agreement(run, d)}" for d in limits))


if __name__ == "__main__":
    main()
