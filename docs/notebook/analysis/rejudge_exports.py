#!/usr/bin/env python3
"""Success of exported eval episodes by the judge's rule before the backflip scene's
`foot_down_beyond_deg` (the foot never down) and by the rule with it (the foot down beyond 90
degrees from upright), counted with scripts/turn_report.py's clean_flips
(docs/notebook/2026-12-06-foot-down.md).

    python3 docs/notebook/analysis/rejudge_exports.py [--also DEG[,DEG...]] DIR [DIR ...]

Each DIR holds episodes written by `backflip eval RUN --episodes N --export DIR`. An old run's
own scene (in its run.json) has no foot_down_beyond_deg, so its eval re-exports the episodes its
eval.json was made from (compare the two eval.json files); this counts them again by both rules,
and by the foot down beyond each angle given with --also.
Prints one line per folder: episodes, then success (episodes with a clean flip) and clean flips
per episode by each rule.
"""
import glob
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "scripts"))
import turn_report as tr  # noqa: E402  (clean_flips: the judge's rule, counted again)


def main():
    args = sys.argv[1:]
    limits = [0.0, tr.FOOT_DOWN_BEYOND_DEG]
    if args[:1] == ["--also"]:
        try:
            limits += [float(a) for a in args[1].split(",")]
        except (IndexError, ValueError):
            sys.exit("--also takes angles in degrees, separated by commas")
        args = args[2:]
    if not args:
        sys.exit(__doc__)
    names = ["foot never down"] + [f"foot down beyond {d:g} deg" for d in limits[1:]]
    print("| folder | episodes | " + " | ".join(f"success, {n} | flips/episode" for n in names) + " |")
    print("|---" * (2 + 2 * len(limits)) + "|")
    for folder in args:
        counts = [[] for _ in limits]
        for path in sorted(glob.glob(os.path.join(folder, "eval-*.json"))):
            ep = json.load(open(path))
            infos = [s["info"] for s in ep["steps"]]
            foot = 1 << (len(ep["steps"][0]["poses"]) - 1)  # the foot is the last body (scenes/*.ron)
            for c, limit in zip(counts, limits):
                c.append(len(tr.clean_flips(infos, ep["control_dt"], foot, foot_down_deg=limit)))
        if not counts[0]:
            sys.exit(f"{folder}: no exported episodes (eval-*.json)")
        n = len(counts[0])
        print(f"| {folder} | {n} | " + " | ".join(f"{sum(f > 0 for f in c) / n:.2f} | {sum(c) / n:.2f}" for c in counts) + " |")


if __name__ == "__main__":
    main()
