#!/usr/bin/env python3
"""Success of exported eval episodes by the judge's rule before the backflip scene's
`foot_down_beyond_deg` (the foot never down) and by the rule with it (the foot down beyond 90
degrees from upright), counted with scripts/turn_report.py's clean_flips
(docs/notebook/2026-12-06-foot-down.md).

    python3 docs/notebook/analysis/rejudge_exports.py DIR [DIR ...]

Each DIR holds episodes written by `backflip eval RUN --episodes N --export DIR`. An old run's
own scene (in its run.json) has no foot_down_beyond_deg, so its eval re-exports the episodes its
eval.json was made from (compare the two eval.json files); this counts them again by both rules.
Prints one line per folder: episodes, success (episodes with a clean flip) and clean flips per
episode by each rule.
"""
import glob
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "scripts"))
import turn_report as tr  # noqa: E402  (clean_flips: the judge's rule, counted again)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    print(f"| folder | episodes | success, foot never down | flips/episode | success, foot down beyond {tr.FOOT_DOWN_BEYOND_DEG:.0f} deg | flips/episode |")
    print("|---|---|---|---|---|---|")
    for folder in sys.argv[1:]:
        before, after = [], []
        for path in sorted(glob.glob(os.path.join(folder, "eval-*.json"))):
            ep = json.load(open(path))
            infos = [s["info"] for s in ep["steps"]]
            foot = 1 << (len(ep["steps"][0]["poses"]) - 1)  # the foot is the last body (scenes/*.ron)
            before.append(len(tr.clean_flips(infos, ep["control_dt"], foot, foot_down_deg=0)))
            after.append(len(tr.clean_flips(infos, ep["control_dt"], foot)))
        if not before:
            sys.exit(f"{folder}: no exported episodes (eval-*.json)")
        n = len(before)
        print(f"| {folder} | {n} | {sum(f > 0 for f in before) / n:.2f} | {sum(before) / n:.2f} | "
              f"{sum(f > 0 for f in after) / n:.2f} | {sum(after) / n:.2f} |")


if __name__ == "__main__":
    main()
