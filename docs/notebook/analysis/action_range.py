#!/usr/bin/env python3
"""How far a run's policy pushed its actions past the [-1, 1] the hopper applies: for a sample
of the run's saved clips, by when in the run they were cut, the mean |action|, the share of
action numbers beyond 1, and the largest. Clips saved before d0dc270 record the policy's
sample; from d0dc270 on they record the action applied, so every number is within 1
(docs/notebook/2026-12-06-tumble-count.md).

    python3 docs/notebook/analysis/action_range.py RUN [EVERY]

EVERY: read every EVERY-th clip in id order (default 20). The binary is answers_by_window.py's
($BACKFLIP).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import answers_by_window as ab  # noqa: E402  (the binary, `clip export`)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    run = sys.argv[1]
    every = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    ids = sorted(f[:-5] for f in os.listdir(os.path.join(run, "clips")) if f.endswith(".clip"))
    rows = []
    for cid in ids[::every]:
        clip = ab.clip_json(run, cid)
        a = [x for s in clip["steps"] for x in s["action"]]
        rows.append((clip["start_step"], sum(abs(x) for x in a) / len(a), sum(abs(x) > 1 for x in a) / len(a), max(abs(x) for x in a)))
    print(f"{run}: {len(rows)} of {len(ids)} clips, in fifths of the run by the order they were cut")
    print(f"{'fifth':>5} {'clips':>6} {'mean |a|':>9} {'beyond 1':>9} {'largest':>8}")
    for k in range(5):
        part = rows[k * len(rows) // 5:(k + 1) * len(rows) // 5]
        if part:
            n = len(part)
            print(f"{k + 1:>5} {n:>6} {sum(r[1] for r in part) / n:>9.2f} {sum(r[2] for r in part) / n:>9.1%} {max(r[3] for r in part):>8.1f}")


if __name__ == "__main__":
    main()
