#!/usr/bin/env python3
"""How the scripted teacher would score clips cut from a policy's own episodes: is a tumbler's
clip worth more to it than a flipper's? (docs/notebook/2026-12-06-clip-windows.md)

    python3 docs/notebook/analysis/window_scores.py [--stride N] [--clip-steps N] [--free-turns N] [--foot-down-beyond-deg N] NAME=DIR [NAME=DIR ...]

Each DIR holds episodes written by `backflip eval RUN --episodes N --export DIR`. Every window
of the clip length (default the scene's, 188 control steps) starting every N steps (default 16) of every
episode is scored as the main job's teacher scores a clip (the judge's score less 0.5 a full
backward turn not landed, the first one free, or as many as --free-turns says: rescore_landing_credit.py's port of
OracleLabeler::score, checked there against the teacher's answers), the foot on the ground
counting as down beyond --foot-down-beyond-deg from upright. The exports do not say which rule
their run had: the default, 0 (never), is the rule before 8b37466, with which the clip-windows
page's figures were made; give 90 for runs since, whose scene says 90
(docs/notebook/2026-12-06-foot-down.md). Printed per policy: the
windows' mean score and quartiles, the share with a clean flip, with one full turn or more not
landed, and the mean full turns; then, for each two policies, how often the teacher (without its
10% random flip) would prefer a window of the row's policy to one of the column's, an "equal"
(scores within 0.05) counted half. Needs numpy (`pip install numpy`), as rescore_landing_credit.py does.
"""
import glob
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rescore_landing_credit as rs  # noqa: E402  (rescore_clip: the teacher's clip score, in float32)

TUMBLE_COST = 0.5
EQUAL = 0.05


def windows(folder, stride, clip_steps, teacher):
    """Score, clean flips and full turns of every window of every episode in the folder."""
    out = []
    for path in sorted(glob.glob(os.path.join(folder, "eval-*.json"))):
        ep = json.load(open(path))
        infos = [s["info"] for s in ep["steps"]]
        n_bodies = len(ep["steps"][0]["poses"])
        for start in range(0, len(infos) - clip_steps + 1, stride):
            r = rs.rescore_clip(infos[start:start + clip_steps], n_bodies, teacher)
            out.append((float(r["score"]), r["flips"], r["turns"]))
    if not out:
        sys.exit(f"{folder}: no exported episodes of {clip_steps} steps or more (eval-*.json)")
    return np.array(out)


def preferred(a, b):
    """Share of pairs (a window of a, one of b) the teacher answers for a; equal counts half."""
    d = a[:, None] - b[None, :]
    return float(np.mean(np.where(np.abs(d) < EQUAL, 0.5, (d > 0).astype(float))))


def main():
    args = sys.argv[1:]
    options = {"--stride": 16, "--clip-steps": 188, "--free-turns": 1, "--foot-down-beyond-deg": 0}
    while args[:1] and args[0] in options:
        least = 0 if args[0] in ("--free-turns", "--foot-down-beyond-deg") else 1
        if len(args) < 2 or not args[1].isdigit() or int(args[1]) < least:
            sys.exit(f"{args[0]} takes a whole number, {least} or more")
        options[args[0]], args = int(args[1]), args[2:]
    stride, clip_steps = options["--stride"], options["--clip-steps"]
    teacher = {"tumble_cost": TUMBLE_COST, "tumble_free_turns": options["--free-turns"],
               "foot_down_beyond_deg": options["--foot-down-beyond-deg"]}
    if not args or any("=" not in a for a in args):
        sys.exit(__doc__)
    policies = [(name, windows(folder, stride, clip_steps, teacher)) for name, folder in (a.split("=", 1) for a in args)]
    print(f"windows of {clip_steps} steps every {stride}; teacher {teacher}")
    print("| policy | windows | mean score | q1 / median / q3 | with a clean flip | with an unlanded full turn | full turns |")
    print("|---|---|---|---|---|---|---|")
    for name, w in policies:
        q = np.percentile(w[:, 0], [25, 50, 75])
        unlanded = np.mean(w[:, 2] - w[:, 1] >= 1)
        print(f"| {name} | {len(w)} | {w[:, 0].mean():.2f} | {q[0]:.2f} / {q[1]:.2f} / {q[2]:.2f} | "
              f"{np.mean(w[:, 1] > 0):.2f} | {unlanded:.2f} | {w[:, 2].mean():.2f} |")
    print()
    print("share of pairs the teacher answers for the row's window:")
    print("| row \\ column | " + " | ".join(n for n, _ in policies) + " |")
    print("|---" * (len(policies) + 1) + "|")
    for name, w in policies:
        print(f"| {name} | " + " | ".join(f"{preferred(w[:, 0], v[:, 0]):.2f}" for _, v in policies) + " |")


if __name__ == "__main__":
    main()
