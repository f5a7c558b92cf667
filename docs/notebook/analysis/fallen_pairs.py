#!/usr/bin/env python3
"""What a run's answers FIRST to LAST set side by side: pairs of two standing clips, of two on the
ground (more than 0.6 of the clip, `fallen_pay.py`'s rule), or one of each, how many of each
were answered "equal", and in the mixed pairs answered strictly, which side won
(docs/notebook/2026-12-07-anchor-gate.md).

    python3 docs/notebook/analysis/fallen_pairs.py RUN FIRST LAST
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import answers_by_window as aw  # noqa: E402
from fallen_pay import ground_share  # noqa: E402


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    run, first, last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    teacher = aw.run_teacher(json.load(open(os.path.join(run, "run.json"))))
    answers = aw.run_comparisons(run)[first:last]
    kinds, won = {}, {"standing": 0, "on the ground": 0}
    for a in answers:
        down = {side: ground_share(run, a[side], teacher) > 0.6 for side in ("left", "right")}
        kind = {0: "two standing", 1: "one of each", 2: "two on the ground"}[sum(down.values())]
        asked, equal = kinds.get(kind, (0, 0))
        kinds[kind] = (asked + 1, equal + (a["answer"] == "equal"))
        if kind == "one of each" and a["answer"] in ("left", "right"):
            won["on the ground" if down[a["answer"]] else "standing"] += 1
    print(f"{run}: answers {first} to {first + len(answers)}")
    for kind, (asked, equal) in sorted(kinds.items()):
        print(f"  {kind}: {asked} pairs, {equal} answered equal")
    print(f"  one of each, answered strictly: the standing clip won {won['standing']}, the one on the ground {won['on the ground']}")


if __name__ == "__main__":
    main()
