#!/usr/bin/env python3
"""What the policy does with its turns: reads episodes exported by
`backflip eval RUN --episodes N --export DIR` and prints, per episode, the full backward turns
of the torso, how long each took, the share of its steps with nothing on the ground, and the
highest torso centre during it. Shows tumbling (many fast, low turns) apart from flipping.

    python3 scripts/turn_report.py DIR
"""
import glob
import json
import math
import sys


def main():
    folder = sys.argv[1]
    totals = []
    for path in sorted(glob.glob(f"{folder}/*.json")):
        clip = json.load(open(path))
        infos = [s["info"] for s in clip["steps"]]
        dt = clip["control_dt"]
        base = infos[0]["pitch"]
        turns, start = [], 0
        for t, info in enumerate(infos):
            if info["pitch"] - base >= 2 * math.pi * (len(turns) + 1):
                seg = infos[start:t + 1]
                turns.append((len(seg) * dt, sum(s["contacts"] == 0 for s in seg) / len(seg), max(s["z"] for s in seg)))
                start = t + 1
        totals.append(len(turns))
        print(f"{clip['id']}: {len(turns)} full backward turns")
        for k, (secs, air, top) in enumerate(turns, 1):
            print(f"  turn {k}: {secs:.2f} s, airborne {air:.0%} of it, torso centre up to {top:.2f} m")
    if totals:
        print(f"mean full backward turns per episode: {sum(totals) / len(totals):.1f} over {len(totals)} episodes")


if __name__ == "__main__":
    main()
